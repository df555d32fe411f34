package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsVerifyAndRenderNothing: the verifier links the signature step (package cmp/verify), and
// no renderer, whose initialisation (Helm's Kubernetes schemes) a cold generate would pay twice.
func TestImportsVerifyAndRenderNothing(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list -deps: %v", err)
	}
	deps := string(out)
	if !strings.Contains(deps, "github.com/gitless-dev/gitless/pkg/cmp/verify\n") {
		t.Error("gitless-verify does not link package cmp/verify: it would verify nothing")
	}
	for _, banned := range []string{"helm.sh/helm/v3/pkg/action", "github.com/gitless-dev/gitless/pkg/render/helm", "k8s.io/client-go/"} {
		if strings.Contains(deps, banned) {
			t.Errorf("gitless-verify links %s", banned)
		}
	}
}

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsLeaveOutRegistryAndSignatures keeps the renderer process to rendering: no signature,
// registry or cache code (and their initialisation) in a process that reads untrusted content, and
// no Helm: plain and Kustomize renders do not pay its initialisation (charts render in
// gitless-render-helm).
func TestImportsLeaveOutRegistryAndSignatures(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		for _, banned := range []string{
			"github.com/sigstore/", "github.com/notaryproject/",
			"github.com/gitless-dev/gitless/pkg/signature", "github.com/gitless-dev/gitless/pkg/registry",
			"github.com/gitless-dev/gitless/pkg/artifact", "github.com/gitless-dev/gitless/pkg/cmp",
			"github.com/gitless-dev/gitless/pkg/cache", "github.com/gitless-dev/gitless/pkg/config",
			"helm.sh/helm/v3/pkg/action", "github.com/gitless-dev/gitless/pkg/render/helm", "k8s.io/client-go/",
			"github.com/santhosh-tekuri/jsonschema/",
		} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("gitless-render links %s; the renderer process only renders", dep)
			}
		}
	}
}

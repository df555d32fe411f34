package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsLeaveOutRegistryAndSignatures keeps the renderer process to rendering: no signature,
// registry or cache code (and their initialisation) in a process that reads untrusted content,
// and Helm linked in, so that charts render here.
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
		} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("gitless-render links %s; the renderer process only renders", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/gitless-dev/gitless/pkg/render/helm\n") {
		t.Error("gitless-render does not link package render/helm: Helm charts would not render")
	}
}

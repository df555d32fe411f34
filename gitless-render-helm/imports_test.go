package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsRenderChartsOnly: the Helm renderer links Helm (package render/helm) and, like
// gitless-render, no signature, registry or cache code in a process that reads untrusted content.
func TestImportsRenderChartsOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list -deps: %v", err)
	}
	deps := string(out)
	if !strings.Contains(deps, "github.com/gitless-dev/gitless/pkg/render/helm\n") {
		t.Error("gitless-render-helm does not link package render/helm: Helm charts would not render")
	}
	for _, banned := range []string{
		"github.com/sigstore/", "github.com/notaryproject/",
		"github.com/gitless-dev/gitless/pkg/signature", "github.com/gitless-dev/gitless/pkg/registry",
		"github.com/gitless-dev/gitless/pkg/cmp", "github.com/gitless-dev/gitless/pkg/cache",
	} {
		if strings.Contains(deps, banned) {
			t.Errorf("gitless-render-helm links %s; the renderer process only renders", banned)
		}
	}
}

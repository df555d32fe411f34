package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsLeaveOutRenderers keeps argocd-cmp's start-up small: Argo CD starts it for every
// refresh of every Application, and Go runs the initialisation of every package linked in. The
// renderers (Helm's SDK, and through it the Kubernetes client libraries with every API group's
// scheme) live in gitless-render, which argocd-cmp starts for the render alone.
func TestImportsLeaveOutRenderers(t *testing.T) {
	for _, dep := range deps(t, ".") {
		for _, banned := range []string{
			"helm.sh/helm/v3/pkg/action", "helm.sh/helm/v3/pkg/chartutil", "github.com/gitless-dev/gitless/pkg/render/helm",
			"k8s.io/client-go/", "k8s.io/cli-runtime/", "k8s.io/api/",
		} {
			if dep == banned || strings.HasPrefix(dep, banned) {
				t.Errorf("argocd-cmp links %s; keep it to gitless-render (render.RegisterHelm) or out of the import graph", dep)
			}
		}
	}
}

// deps lists the packages the main package in dir links.
func deps(t *testing.T, dir string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", dir)
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list -deps: %v", err)
	}
	return strings.Fields(string(out))
}

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsLeaveOutRenderers keeps argocd-cmp's start-up small: Argo CD starts it for every
// refresh of every Application, and Go runs the initialisation of every package linked in. The
// renderers (Helm's SDK, and through it the Kubernetes client libraries with every API group's
// scheme) live in gitless-render, which argocd-cmp starts for the render alone; the signature
// libraries (cosign, sigstore, Notation, and through them go-openapi, protobuf, gRPC, bson) live in
// gitless-verify, which argocd-cmp starts only when its cache holds no acceptance (a cold generate).
func TestImportsLeaveOutRenderers(t *testing.T) {
	for _, dep := range deps(t, ".") {
		for _, banned := range []string{
			"helm.sh/helm/v3/pkg/action", "helm.sh/helm/v3/pkg/chartutil", "github.com/gitless-dev/gitless/pkg/render/helm",
			"k8s.io/client-go/", "k8s.io/cli-runtime/", "k8s.io/api/",
			"github.com/sigstore/", "github.com/notaryproject/", "github.com/google/go-containerregistry/",
			"github.com/gitless-dev/gitless/pkg/signature", "github.com/gitless-dev/gitless/pkg/cmp/verify",
			"github.com/gitless-dev/gitless/pkg/provenance", "github.com/go-openapi/strfmt", "github.com/go-openapi/validate", "google.golang.org/grpc",
		} {
			if dep == banned || strings.HasPrefix(dep, banned) {
				t.Errorf("argocd-cmp links %s; keep it to gitless-render or gitless-verify, or out of the import graph", dep)
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

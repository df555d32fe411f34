// Command argocd-cmp is the gitless Argo CD config-management plugin, run as a sidecar of
// argocd-repo-server: it verifies an OCI artifact's signature and renders it to stdout.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gitless-dev/gitless/argocd-cmp/cmd"
	"github.com/gitless-dev/gitless/pkg/render"
)

func main() {
	// Renders run in gitless-render (plain, Kustomize) and gitless-render-helm (charts), installed
	// beside this binary: they link the renderers, this binary the registry code (and gitless-verify
	// the signature code), so that no process pays for libraries its call does not use.
	render.UseRenderer("gitless-render")
	render.UseHelmRenderer("gitless-render-helm")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

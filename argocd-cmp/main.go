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
	// Renders run in gitless-render, installed beside this binary: it links the renderers, this
	// binary the registry and signature code, so neither pays the other's start-up.
	render.UseRenderer("gitless-render")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Execute(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

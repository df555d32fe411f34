// Command argocd-cmp is the gitless Argo CD config-management plugin, run as a sidecar of
// argocd-repo-server: it verifies an OCI artifact's signature and renders it to stdout.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gitless-dev/gitless/argocd-cmp/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cmd.NewRootCmd(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

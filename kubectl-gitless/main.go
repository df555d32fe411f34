// Command kubectl-gitless is the kubectl plugin of gitless: publish, sign, inspect, verify, list,
// copy, render and diff Kubernetes configuration carried as OCI artifacts.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd"
	"github.com/gitless-dev/gitless/pkg/render"
)

func main() {
	render.Init() // the bounded renderer child re-executes this binary
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := cmd.NewRootCmd(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(cmd.ExitCode(err))
	}
}

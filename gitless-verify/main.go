// Command gitless-verify is the signature step of argocd-cmp in a process of its own: argocd-cmp
// starts it when its cache holds no acceptance for the artifact (a cold generate), with the request
// on stdin, and reads the answer on stdout (see cmp.VerifyInChild). It links the signature libraries
// (cosign, sigstore, Notation), whose package initialisation argocd-cmp then does not pay on the warm
// path, which Argo CD runs on every refresh. It is not meant to be run by hand; install it beside
// argocd-cmp from the same release.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gitless-dev/gitless/pkg/cmp"
	_ "github.com/gitless-dev/gitless/pkg/cmp/verify" // verifies in this process
	"github.com/gitless-dev/gitless/pkg/version"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Println(version.Version)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmp.VerifyMain(ctx, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

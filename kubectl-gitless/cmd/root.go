// Package cmd holds the commands of kubectl-gitless, one per file, each built around an options struct
// with Complete, Validate and Run (kubectl's pattern).
package cmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// NewRootCmd builds `kubectl gitless` and its subcommands.
func NewRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-gitless",
		Short: "Deliver Kubernetes configuration as signed OCI artifacts (Gitless GitOps)",
		Long: `kubectl gitless publishes a directory, Kustomize overlay or Helm chart as an OCI artifact,
signs and verifies it with cosign keys, inspects, lists and copies it between registries,
and renders it exactly as the Argo CD sidecar (argocd-cmp) would.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl gitless"},
	}
	var timeout time.Duration
	root.PersistentFlags().DurationVar(&timeout, "timeout", 0, "give up on the whole command after this long (0: no limit)")
	var cancel context.CancelFunc = func() {}
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if timeout > 0 {
			var ctx context.Context
			ctx, cancel = context.WithTimeout(cmd.Context(), timeout)
			cmd.SetContext(ctx)
		}
	}
	root.PersistentPostRun = func(*cobra.Command, []string) { cancel() }
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.AddCommand(
		newPublishCmd(streams),
		newPullCmd(streams),
		newInspectCmd(streams),
		newListCmd(streams),
		newSignCmd(streams),
		newAttestCmd(streams),
		newVerifyCmd(streams),
		newRenderCmd(streams),
		newCopyCmd(streams),
		newReplicateCmd(streams),
		newStatusCmd(streams),
		newTagCmd(streams),
		newDiffCmd(streams),
		newGenerateKeyPairCmd(streams),
		newVersionCmd(streams),
		newAppsCmd(streams),
		newPinCmd(streams),
	)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		err = fmt.Errorf("%w\nSee '%s --help'.", err, c.CommandPath())
		if c.Name() == "diff" {
			return diffFailure{err} // 1 is "changed" for diff
		}
		return err
	})
	wrapErrors(root, streams)
	return root
}

// wrapErrors prints each command's error once on stderr, as "Error: ...".
func wrapErrors(c *cobra.Command, streams genericiooptions.IOStreams) {
	for _, sub := range c.Commands() {
		wrapErrors(sub, streams)
	}
	if c.RunE == nil {
		return
	}
	run := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrDifferent) { // a diff that found changes is a result, not an error
			fmt.Fprintf(streams.ErrOut, "Error: %v\n", err)
		}
		return silentError{err}
	}
}

type silentError struct{ error }

func (e silentError) Unwrap() error { return e.error }

// Exit codes. Signature codes follow cosign's: 10 no signature, 11 tag not found, 12 no valid signature.
// A usage error exits 1, as kubectl's do, so that 2 means drift (status, apps: ExitDrift) and nothing
// else. diff follows kubectl diff: 0 no change, 1 changed (ExitDifferent), above 1 an error.
const (
	ExitError        = 1
	ExitDifferent    = 1
	ExitUsage        = 1
	ExitNotFound     = 3
	ExitUnauthorized = 4
	ExitUnreachable  = 5
	// ExitDiffError is what diff exits with for a failure other commands exit 1 for (kubectl diff's
	// "above 1"), so that 1 always means "changed".
	ExitDiffError = 2
)

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var se silentError
	if !errors.As(err, &se) {
		// cobra's own errors (unknown flag or command) were not printed yet
		fmt.Fprintf(stderr, "Error: %v\n", err)
		if errors.As(err, new(diffFailure)) {
			return ExitDiffError
		}
		return ExitUsage
	}
	if errors.Is(err, ErrDifferent) {
		return ExitDifferent
	}
	if errors.Is(err, ErrDrift) {
		return ExitDrift
	}
	code := exitCode(err)
	var df diffFailure
	if code == ExitError && errors.As(err, &df) {
		return ExitDiffError
	}
	return code
}

func exitCode(err error) int {
	if errors.Is(err, options.ErrUsage) || errors.Is(err, registry.ErrInvalidReference) {
		return ExitUsage
	}
	if code := signature.ExitCode(err); code != signature.ExitOtherFailure {
		return code
	}
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, registry.ErrUnauthorized):
		return ExitUnauthorized
	case errors.Is(err, registry.ErrUnreachable):
		return ExitUnreachable
	}
	return ExitError
}

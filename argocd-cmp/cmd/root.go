// Package cmd holds the argocd-cmp commands: generate and parameters, the two commands of the
// ConfigManagementPlugin in manifests/sidecar/plugin.yaml, and version.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/version"
)

// Exit codes of argocd-cmp.
const (
	ExitOK    = 0
	ExitError = 1
	// ExitUsage is an unknown command, flag or argument.
	ExitUsage = 2
)

// usageError marks a mistake in the command line, as opposed to a failure of the command.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// NewRootCmd builds argocd-cmp.
func NewRootCmd(in io.Reader, out, errOut io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "argocd-cmp",
		Short:         "Argo CD config-management plugin: verify and render gitless OCI artifacts",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
		Args:          cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())}
			}
			return usageError{errors.New("a command is required")}
		},
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	root.AddCommand(newGenerateCmd(out, errOut), newParametersCmd(out), newVersionCmd(out))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())}
	})
	return root
}

func newVersionCmd(out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(out, version.Version)
			return err
		},
	}
}

// Execute runs argocd-cmp with args and returns the exit code. Registry errors name the sidecar's
// config keys (plainHTTP, caFile, credentialsFile), not kubectl-gitless flags. A usage error prints
// the usage on stderr; generate prints its own one-line failure.
func Execute(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	registry.SetHints(registry.ConfigHints)
	root := NewRootCmd(in, out, errOut)
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	var usage usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		fmt.Fprintf(errOut, "argocd-cmp: %v\n\n%s", err, c.UsageString())
		return ExitUsage
	case c.Name() != "generate":
		fmt.Fprintf(errOut, "argocd-cmp: %v\n", err)
	}
	return ExitError
}

// noArgs is cobra.NoArgs reported as a usage error.
func noArgs(c *cobra.Command, args []string) error {
	if err := cobra.NoArgs(c, args); err != nil {
		return usageError{err}
	}
	return nil
}

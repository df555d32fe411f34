// Package cmd holds the argocd-cmp commands: generate and parameters, the two commands of the
// ConfigManagementPlugin in manifests/sidecar/plugin.yaml.
package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gitless-dev/gitless/pkg/version"
)

// NewRootCmd builds argocd-cmp.
func NewRootCmd(in io.Reader, out, errOut io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "argocd-cmp",
		Short:         "Argo CD config-management plugin: verify and render gitless OCI artifacts",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	root.AddCommand(newGenerateCmd(out, errOut), newParametersCmd(out))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())
	})
	return root
}

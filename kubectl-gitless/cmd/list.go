package cmd

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

type listOptions struct {
	options.Registry
	options.Output
	genericiooptions.IOStreams

	all  bool
	ref  registry.Reference
	repo registry.Repository
}

func newListCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &listOptions{IOStreams: streams}
	c := &cobra.Command{
		Use:     "list REPO",
		Aliases: []string{"ls"},
		Short:   "List a repository's tags with digest, creation time, kind and signature status",
		Example: `  kubectl gitless list registry.example.com/platform/app
  kubectl gitless list registry.example.com/platform/app --all -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd)
		},
		ValidArgsFunction: noFileCompletion,
	}
	o.Registry.AddFlags(c.Flags())
	o.Output.AddFlags(c.Flags())
	c.Flags().BoolVar(&o.all, "all", false, "include signature and referrer tags (*.sig, *.att, *.sbom, sha256-*)")
	registerCompletions(c)
	return c
}

func (o *listOptions) Complete(args []string) error {
	if err := o.Registry.Complete(o.In); err != nil {
		return err
	}
	var err error
	o.ref, o.repo, err = o.Open(args[0])
	return err
}

func (o *listOptions) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	return o.Registry.Validate()
}

func (o *listOptions) Run(cmd *cobra.Command) error {
	rows, err := artifact.List(cmd.Context(), o.repo, artifact.ListOptions{All: o.all})
	if err != nil {
		return err
	}
	return o.Print(o.Out, rows, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TAG\tDIGEST\tCREATED\tKIND\tSIGNED")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\n", r.Tag, r.Digest, orDash(r.Created), r.Kind, r.Signed)
		}
		return tw.Flush()
	})
}

package cmd

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/pkg/artifact"
)

type listOptions struct {
	refCommand
	all bool
}

func newListCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &listOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:     "list REPO",
		Aliases: []string{"ls"},
		Short:   "List a repository's tags with digest, creation time, kind and signature status",
		Example: `  kubectl gitless list registry.example.com/platform/app
  kubectl gitless list registry.example.com/platform/app --all -o json`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	c.Flags().BoolVar(&o.all, "all", false, "include signature and referrer tags (*.sig, *.att, *.sbom, sha256-*)")
	registerCompletions(c)
	return c
}

func (o *listOptions) Complete(args []string) error { return o.completeRef(args[0]) }

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

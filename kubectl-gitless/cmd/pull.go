package cmd

import (
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
)

type pullOptions struct {
	refCommand
	options.Limits

	dir   string
	quiet bool
}

func newPullCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &pullOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "pull REF DIR",
		Short: "Fetch an artifact by digest, check it and extract it safely into DIR",
		Long: `Resolve REF, download its content layer to a temporary file, check its size and digest,
then extract it into DIR (which must not exist or be empty) under the extraction limits.
Nothing is extracted while streaming, and a failure leaves no partial DIR.`,
		Example: `  kubectl gitless pull registry.example.com/platform/app:1.4.0 ./app
  kubectl gitless pull oci-layout:./out@sha256:... ./app`,
		Args:              cobra.ExactArgs(2),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	o.Limits.AddFlags(c.Flags())
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no progress bars")
	registerCompletions(c)
	return c
}

func (o *pullOptions) Complete(args []string) error {
	o.dir = args[1]
	return o.completeRef(args[0])
}

func (o *pullOptions) Run(cmd *cobra.Command) error {
	res, err := artifact.Pull(cmd.Context(), o.repo, o.ref, o.dir, artifact.MaterializeOptions{
		Limits: o.Limits.Get(), Progress: options.NewProgress(o.ErrOut, o.quiet || o.Format != "text"),
	})
	if err != nil {
		return err
	}
	return o.Print(o.Out, newPullResult(res), func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s\n", res.Reference)
		return err
	})
}

// pullResult is pull's -o json|yaml form: the same lower-camel field names as every other command's
// output, and [] rather than null for an empty list.
type pullResult struct {
	Reference  string             `json:"reference"`
	Tag        string             `json:"tag,omitempty"`
	Dir        string             `json:"dir"`
	Descriptor ocispec.Descriptor `json:"descriptor"`
	Content    pulledContent      `json:"content"`
	Manifest   ocispec.Manifest   `json:"manifest"`
}

type pulledContent struct {
	Format     string               `json:"format"`
	Kind       string               `json:"kind,omitempty"`
	RenderPath string               `json:"renderPath"`
	Layer      ocispec.Descriptor   `json:"layer"`
	Files      []ocispec.Descriptor `json:"files"`
}

func newPullResult(p *artifact.Pulled) pullResult {
	c := p.Content
	files := c.Files
	if files == nil {
		files = []ocispec.Descriptor{}
	}
	return pullResult{Reference: p.Reference, Tag: p.Tag, Dir: p.Dir, Descriptor: p.Descriptor, Manifest: p.Manifest,
		Content: pulledContent{Format: string(c.Format), Kind: c.Kind, RenderPath: c.RenderPath, Layer: c.Layer, Files: files}}
}

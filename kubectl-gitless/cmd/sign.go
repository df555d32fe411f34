package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

type signOptions struct {
	refCommand
	options.Signing
}

type signResult struct {
	Reference string `json:"reference"`
	Digest    string `json:"digest"`
	Tag       string `json:"tag,omitempty"`
	Signature string `json:"signature"`
	Format    string `json:"format"`
}

func newSignCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &signOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "sign REF --key cosign.key",
		Short: "Sign an artifact with a cosign key (Sigstore bundle referrer, or legacy .sig tag) or a Notation key and certificate",
		Long: `Sign the manifest REF names, by digest. Signing through a tag binds the tag: the tag is part of the
signed content, so a registry cannot later serve another digest under it without verification noticing.
No transparency-log upload happens unless --tlog-upload names a Rekor.
Stdout carries the signed artifact's pinned reference (registry/repo@sha256:...), as publish prints it;
the signature's own reference is labelled on stderr, and both are fields of -o json.`,
		Example: `  COSIGN_PASSWORD=... kubectl gitless sign registry.example.com/platform/app:1.4.0 --key cosign.key
  kubectl gitless sign registry.example.com/platform/app@sha256:... --key cosign.key --signature-format legacy
  kubectl gitless sign registry.example.com/platform/app:1.4.0 --format notation --key signer.key --cert signer.crt`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	o.Signing.AddFlags(c.Flags())
	c.Flags().StringVar(&o.Signing.Format, "format", string(signature.FormatBundle), "same as --signature-format")
	registerCompletions(c)
	_ = c.RegisterFlagCompletionFunc("signature-format", fixedCompletion("bundle", "legacy", "notation"))
	_ = c.RegisterFlagCompletionFunc("format", fixedCompletion("bundle", "legacy", "notation"))
	return c
}

func (o *signOptions) Complete(args []string) error { return o.completeRef(args[0]) }

func (o *signOptions) Validate() error {
	if err := o.Signing.Validate(); err != nil {
		return err
	}
	return o.refCommand.Validate()
}

func (o *signOptions) Run(cmd *cobra.Command) error {
	res, err := signRef(cmd, o.repo, o.ref, &o.Signing, o.IOStreams)
	if err != nil {
		return err
	}
	return o.Output.Print(o.Out, res, func(w io.Writer) error {
		printSignature(o.ErrOut, res)
		_, err := fmt.Fprintf(w, "%s\n", res.Reference)
		return err
	})
}

// printSignature labels where a signature went, on stderr: stdout carries the artifact's pinned
// reference (what pipes into verify, copy or an Application), as publish prints it.
func printSignature(errOut io.Writer, r *signResult) {
	bound := ""
	if r.Tag != "" {
		bound = ", binds tag " + r.Tag
	}
	fmt.Fprintf(errOut, "Signature (%s%s): %s\n", r.Format, bound, r.Signature)
}

// signRef signs ref in repo (binding its tag if it has one); publish --sign uses it too.
func signRef(cmd *cobra.Command, repo registry.Repository, ref registry.Reference, s *options.Signing, streams genericiooptions.IOStreams) (*signResult, error) {
	signer, err := s.Signer(streams.In, streams.ErrOut)
	if err != nil {
		return nil, err
	}
	opts, err := s.SignOptions("")
	if err != nil {
		return nil, err
	}
	subject, sig, err := signature.SignReference(cmd.Context(), repo, signer, ref.Name(), ref.Reference(), opts...)
	if err != nil {
		return nil, registry.Classify(err, "signing "+ref.String())
	}
	sigRef := ref.WithDigest(sig.Digest)
	return &signResult{Reference: ref.WithDigest(subject.Digest).String(), Digest: subject.Digest.String(), Tag: ref.Tag,
		Signature: sigRef.String(), Format: s.Format}, nil
}

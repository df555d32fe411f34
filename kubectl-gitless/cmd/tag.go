package cmd

import (
	"cmp"
	"context"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/replicate"
	"github.com/gitless-dev/gitless/pkg/signature"
)

type tagOptions struct {
	refCommand
	options.Signing
	sign     bool
	force    bool
	identity string
	tags     []string
}

func newTagCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &tagOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "tag REF TAG... [--sign --key cosign.key]",
		Short: "Promote a release: add tags to an existing digest, and sign their binding",
		Long: `Point each TAG at the digest REF names, in REF's repository (a registry or an oci-layout: directory),
without uploading anything again (as flux tag artifact does). With --sign --key (and --signature-format
legacy for cosign's .sig form) each tag's binding to the digest is signed, as sign REPO:TAG does, so the
sidecar accepts app:prod only when a signature binds prod to that digest; without --sign the new tags
verify only where the policy sets allowUnboundTags. A tag that points at another digest is moved only with
--force, and the output says from which digest to which; every tag is checked before any is written.
A tag already at the digest, with a signature by the same key in the same format binding it, is left
alone: a re-run writes nothing.
copy and replicate then carry the tags and their signatures to the zones.`,
		Example: `  kubectl gitless tag hub.example.com/platform/app:1.4.0 prod --sign --key cosign.key
  kubectl gitless tag hub.example.com/platform/app@sha256:... prod stable --force --sign --key cosign.key
  kubectl gitless tag oci-layout:./transfer:1.4.0 prod --sign --key cosign.key --sign-container-identity hub.example.com/platform/app`,
		Args:              cobra.MinimumNArgs(2),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	o.Signing.AddFlags(c.Flags())
	c.Flags().BoolVar(&o.sign, "sign", false, "sign each tag's binding to the digest (needs --key)")
	c.Flags().BoolVar(&o.force, "force", false, "move a tag that points at another digest")
	c.Flags().StringVar(&o.identity, "sign-container-identity", "", "the repository the signed binding names (HOST/PATH), as cosign's flag: "+
		"required with --sign on an oci-layout: directory, whose own path no zone verifies against")
	registerCompletions(c)
	_ = c.RegisterFlagCompletionFunc("signature-format", fixedCompletion("bundle", "legacy"))
	return c
}

func (o *tagOptions) Complete(args []string) error {
	o.tags = args[1:]
	return o.completeRef(args[0])
}

func (o *tagOptions) Validate() error {
	if o.ref.Reference() == "" {
		return options.Usagef("%s: name the release to promote by tag or digest (REPO:TAG or REPO@sha256:...)", o.ref)
	}
	if o.sign {
		if err := o.Signing.Validate(); err != nil {
			return err
		}
	} else if o.Key != "" || o.identity != "" {
		return options.Usagef("--key and --sign-container-identity are for signing: add --sign to sign the tags' binding")
	}
	if o.identity != "" {
		id, err := registry.ParseReference(o.identity)
		if err != nil || id.IsLayout() || id.Reference() != "" {
			return options.Usagef("--sign-container-identity %q: give the repository the zones verify against, HOST/PATH without tag or digest", o.identity)
		}
	} else if o.sign && o.ref.IsLayout() {
		return options.Usagef("signing in %s would bind its local path, which no zone verifies against: "+
			"add --sign-container-identity HOST/PATH, the hub repository the zones' policies and mirrors name", o.ref.Name())
	}
	return o.refCommand.Validate()
}

func (o *tagOptions) Run(cmd *cobra.Command) error {
	opts := replicate.PromoteOptions{Force: o.force}
	if o.sign {
		// the key is loaded before any tag is written, so a wrong password changes nothing
		signer, err := o.Signer(o.In, o.ErrOut)
		if err != nil {
			return err
		}
		sopts, err := o.SignOptions("")
		if err != nil {
			return err
		}
		name := cmp.Or(o.identity, o.ref.Name())
		opts.Sign = func(ctx context.Context, tag string) (ocispec.Descriptor, error) {
			_, sig, err := signature.SignReference(ctx, o.repo, signer, name, tag, sopts...)
			return sig, err
		}
		if len(o.Annotations) == 0 { // a binding signed with other annotations is not the one asked for
			opts.Signed = func(ctx context.Context, desc ocispec.Descriptor, tag string) (digest.Digest, bool) {
				return signature.Signed(ctx, o.repo, signer, name, desc, tag, signature.Format(o.Format))
			}
		}
	}
	p, err := replicate.Promote(cmd.Context(), o.repo, o.ref, o.tags, opts)
	if err != nil {
		return err
	}
	return o.Print(o.Out, p, func(w io.Writer) error {
		for _, t := range p.Tags {
			what := "tagged"
			switch {
			case t.From != "":
				what = "moved from " + t.From
			case !t.Written:
				what = "already there"
			}
			switch {
			case t.SignatureWritten:
				what += ", binding signed (" + t.Signature + ")"
			case t.Signature != "":
				what += ", binding already signed with this key (" + t.Signature + "), nothing written"
			}
			fmt.Fprintf(o.ErrOut, "%s: %s\n", t.Tag, what)
		}
		_, err := fmt.Fprintln(w, p.Reference)
		return err
	})
}

package cmd

import (
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
	"github.com/gitless-dev/gitless/pkg/version"
)

type attestOptions struct {
	refCommand
	options.Signing
	options.Provenance
	source, revision string
}

// attestResult is what attest (and publish --sign) report for one provenance attestation.
type attestResult struct {
	Reference   string            `json:"reference"`
	Digest      string            `json:"digest"`
	Attestation string            `json:"attestation"`
	Format      string            `json:"format"`
	Source      provenance.Source `json:"source"`
	BuilderID   string            `json:"builderId"`
}

func newAttestCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &attestOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "attest REF --key cosign.key [--source URL --revision SHA --source-ref REF]",
		Short: "Attach a signed SLSA provenance attestation to an artifact published earlier or by other tools",
		Long: `Sign an in-toto statement with the SLSA provenance v1 predicate (https://slsa.dev/provenance/v1) for
the manifest REF names, and store it as cosign attest does: a Sigstore bundle referrer (default) or the
legacy sha256-<hex>.att tag (--signature-format legacy); cosign verify-attestation --type slsaprovenance1
accepts both. The subject is the digest; the source repository and revision default to the artifact's
org.opencontainers.image.source and .revision annotations; the ref (--source-ref) is what a policy's
provenance.refs matches, so name the branch or tag the artifact was built from. publish --sign attaches
the same attestation by itself.`,
		Example: `  kubectl gitless attest registry.example.com/platform/app:1.4.0 --key cosign.key --source-ref refs/heads/main
  kubectl gitless attest registry.example.com/platform/app@sha256:... --key cosign.key \
    --source https://git.example.com/platform/app --revision 0123abc --source-ref refs/tags/v1.4.0 --builder-id https://ci.example.com/pipelines/app`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	o.Signing.AddFlags(c.Flags())
	o.Provenance.AddFlags(c.Flags())
	c.Flags().StringVar(&o.source, "source", "", "source repository URL (default: the org.opencontainers.image.source annotation)")
	c.Flags().StringVar(&o.revision, "revision", "", "source revision (default: the org.opencontainers.image.revision annotation)")
	registerCompletions(c)
	_ = c.RegisterFlagCompletionFunc("signature-format", fixedCompletion("bundle", "legacy"))
	return c
}

func (o *attestOptions) Complete(args []string) error { return o.completeRef(args[0]) }

func (o *attestOptions) Validate() error {
	if err := o.Signing.Validate(); err != nil {
		return err
	}
	return o.refCommand.Validate()
}

func (o *attestOptions) Run(cmd *cobra.Command) error {
	res, err := artifact.Resolve(cmd.Context(), o.repo, o.ref)
	if err != nil {
		return err
	}
	a := res.Manifest.Annotations
	b := provenance.Build{
		Name: o.ref.Name(), Digest: res.Descriptor.Digest,
		Source: provenance.Source{Repository: orDefault(o.source, a[ocispec.AnnotationSource]),
			Revision: orDefault(o.revision, a[ocispec.AnnotationRevision]), Ref: o.SourceRef},
		Parameters: buildParameters(string(res.Content.Format), res.Content.Kind, res.Content.RenderPath, tagsOf(o.ref)),
	}
	if b.Source.Repository == "" {
		return options.Usagef("%s records no source repository (org.opencontainers.image.source): pass --source URL", o.ref)
	}
	out, err := attestProvenance(cmd, o.repo, o.ref, res.Descriptor, b, &o.Signing, &o.Provenance, o.IOStreams)
	if err != nil {
		return err
	}
	return o.Print(o.Out, out, func(w io.Writer) error {
		printAttestation(o.ErrOut, out)
		_, err := fmt.Fprintln(w, out.Reference)
		return err
	})
}

// attestProvenance signs b's provenance statement for subject and stores it in repo in the signing
// flags' format; publish --sign uses it too.
func attestProvenance(cmd *cobra.Command, repo registry.Repository, ref registry.Reference, subject ocispec.Descriptor, b provenance.Build, s *options.Signing, p *options.Provenance, streams genericiooptions.IOStreams) (*attestResult, error) {
	b.BuilderID, b.BuilderVersion = p.BuilderID, version.Version
	st, err := provenance.Statement(b)
	if err != nil {
		return nil, err
	}
	signer, err := s.Signer(streams.In, streams.ErrOut)
	if err != nil {
		return nil, err
	}
	att, err := signature.Attest(cmd.Context(), repo, signer, subject, provenance.PredicateType, st, signature.WithFormat(signature.Format(s.Format)))
	if err != nil {
		return nil, registry.Classify(err, "attesting "+ref.String())
	}
	return &attestResult{Reference: ref.WithDigest(subject.Digest).String(), Digest: subject.Digest.String(),
		Attestation: ref.WithDigest(att.Digest).String(), Format: s.Format, Source: b.Source,
		BuilderID: orDefault(b.BuilderID, provenance.DefaultBuilderID)}, nil
}

// buildParameters are the external parameters that decide an artifact's content.
func buildParameters(format, kind, renderPath string, tags []string) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"format": format, "kind": kind, "renderPath": renderPath} {
		if v != "" {
			m[k] = v
		}
	}
	if len(tags) > 0 {
		m["tags"] = tags
	}
	return m
}

func tagsOf(ref registry.Reference) []string {
	if ref.Tag == "" {
		return nil
	}
	return []string{ref.Tag}
}

func printAttestation(errOut io.Writer, r *attestResult) {
	src := r.Source.Repository
	if r.Source.Revision != "" {
		src += "@" + r.Source.Revision
	}
	if r.Source.Ref != "" {
		src += " (" + r.Source.Ref + ")"
	}
	if src == "" {
		src = "none recorded (not published from a git checkout; --source and --revision set it)"
	}
	fmt.Fprintf(errOut, "Provenance (%s, SLSA v1, source %s, builder %s): %s\n", r.Format, src, r.BuilderID, r.Attestation)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

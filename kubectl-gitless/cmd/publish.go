package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

type publishOptions struct {
	options.Registry
	options.Output
	options.Signing
	options.Provenance
	genericiooptions.IOStreams

	sign         bool
	path, refArg string
	tags         []string
	annotations  []string
	quiet        bool
	imagesMode   string

	printVolume bool
	publish     artifact.PublishOptions

	ref registry.Reference
}

func newPublishCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &publishOptions{IOStreams: streams}
	c := &cobra.Command{
		Use:   "publish PATH REF[:TAG[,TAG...]]",
		Short: "Pack a directory, Kustomize overlay or Helm chart and push it as an OCI artifact",
		Long: `Pack PATH reproducibly (same tree and commit, same digest) and push it to REF.
PATH is a directory of plain YAML, a Kustomize directory, a Helm chart or a single file; the kind is detected.
A Kustomize overlay whose bases lie outside PATH is packed with the smallest directory holding them all.
The packed content is rendered first, as the sidecar will render it: content that does not render, or
renders no objects (which would make Argo CD prune everything), is refused. Every container image the
rendered objects name (a chart: with its defaults, each values*.yaml it ships and each --values) is resolved
to a digest at its registry and recorded in the manifest as a signed images lock, which the sidecar uses to
point the manifests at a zone's copy by digest (--images=record keeps what cannot be resolved unpinned,
--images=off records no lock). Publishing without --sign onto
a tag whose digest is signed is refused (the tag would stop verifying) unless --force is given.
A checkout whose packed files differ from HEAD is refused (the revision annotation would name a commit
that is not what was packed) unless --allow-dirty, which records the revision as <sha>-dirty. With
--sign, a signed SLSA provenance attestation (source, revision, ref, --builder-id) is attached as well,
in the --signature-format of the signatures.
The pinned reference (registry/repo@sha256:...) is printed on stdout.`,
		Example: `  kubectl gitless publish ./deploy/overlays/prod registry.example.com/platform/app:1.4.0,latest
  kubectl gitless publish ./charts/app registry.example.com/charts/app     # tag = chart version
  kubectl gitless publish ./manifests oci-layout:./out:1.0.0                # OCI layout on disk
  kubectl gitless publish ./charts/app registry.example.com/charts/app -f values-prod.yaml --image ghcr.io/acme/hook:1.2`,
		Args:              cobra.ExactArgs(2),
		RunE:              runE(o),
		ValidArgsFunction: completeDirThenNone,
	}
	f := c.Flags()
	o.Registry.AddFlags(f)
	o.Output.AddFlags(f)
	f.StringVar(&o.publish.Kind, "kind", "", "content kind: plain, kustomize or helm (default: detected)")
	f.StringVar(&o.publish.Format, "format", artifact.PublishImage, "manifest form: image (read by Argo CD, Flux, oras, crane) or artifact (OCI 1.1 artifactType)")
	f.StringVar(&o.publish.Boundary, "root", "", "directory that local references may not leave (default: the enclosing git checkout)")
	f.StringVar(&o.publish.Source, "source", "", "org.opencontainers.image.source (default: git remote origin)")
	f.StringVar(&o.publish.Revision, "revision", "", "org.opencontainers.image.revision (default: git HEAD)")
	f.StringVar(&o.publish.Version, "version", "", "org.opencontainers.image.version")
	f.StringVar(&o.publish.Title, "title", "", "org.opencontainers.image.title (default: directory or chart name)")
	f.StringVar(&o.publish.Description, "description", "", "org.opencontainers.image.description")
	f.StringArrayVarP(&o.annotations, "annotation", "a", nil, "manifest annotation key=value (repeatable)")
	f.StringSliceVarP(&o.tags, "tag", "t", nil, "additional tags (repeatable or comma-separated)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bars")
	f.BoolVar(&o.sign, "sign", false, "sign what was pushed, by digest, binding each tag (needs --key)")
	f.BoolVar(&o.publish.AllowEmpty, "allow-empty", false, "publish content that renders no objects (records dev.gitless.allow-empty; the sidecar still refuses it unless its policy sets allowEmpty: true)")
	f.BoolVar(&o.publish.SkipRenderCheck, "skip-render-check", false, "publish without first rendering the packed content as the sidecar will")
	f.StringVar(&o.imagesMode, "images", string(images.ModeResolve), "images lock: resolve (every image pinned by digest; unresolvable is an error), record (keep what cannot be resolved unpinned) or off")
	f.StringArrayVar(&o.publish.Images.Extra, "image", nil, "an image to lock that no rendered object names (repeatable)")
	f.StringArrayVarP(&o.publish.Images.ValuesFiles, "values", "f", nil, "Helm values file the chart is deployed with: its images are locked too (repeatable; each rendered on its own)")
	f.BoolVar(&o.printVolume, "print-volume", false, "print, instead of the reference, the Pod volume (volumes[].image, pinned by digest) and volumeMount that mount the published tree read-only")
	f.BoolVar(&o.publish.Force, "force", false, "move a tag off a signed digest without --sign (the tag stops verifying until signed)")
	f.BoolVar(&o.publish.AllowDirty, "allow-dirty", false, "publish from a checkout whose packed files differ from HEAD, recording the revision as <sha>-dirty")
	o.Signing.AddFlags(f)
	o.Provenance.AddFlags(f)
	registerCompletions(c)
	_ = c.RegisterFlagCompletionFunc("kind", fixedCompletion("plain", "kustomize", "helm"))
	_ = c.RegisterFlagCompletionFunc("format", fixedCompletion(artifact.PublishImage, artifact.PublishArtifact))
	_ = c.RegisterFlagCompletionFunc("images", fixedCompletion(string(images.ModeResolve), string(images.ModeRecord), string(images.ModeOff)))
	return c
}

func (o *publishOptions) Complete(args []string) error {
	o.path, o.refArg = args[0], args[1]
	if err := mustExist(o.path); err != nil {
		return err
	}
	ref, tags, err := parseMultiTagRef(o.refArg)
	if err != nil {
		return err
	}
	o.ref, o.tags = ref, dedupe(append(tags, o.tags...))
	o.publish.Annotations, err = parseKeyValues(o.annotations)
	if err != nil {
		return options.Usage(err)
	}
	o.publish.Progress = options.NewProgress(o.ErrOut, o.quiet || o.Output.Format != "text")
	o.publish.Signing = o.sign
	o.publish.SourceRef = o.SourceRef
	o.publish.Warn = func(msg string) { fmt.Fprintf(o.ErrOut, "Warning: %s\n", msg) }
	if o.publish.Images.Mode, err = images.ParseMode(o.imagesMode); err != nil {
		return options.Usage(err)
	}
	for _, f := range o.publish.Images.ValuesFiles {
		if err := mustExist(f); err != nil {
			return err
		}
	}
	if err := o.Registry.Complete(o.In); err != nil {
		return err
	}
	o.publish.Images.Resolver = o.imageResolver()
	return nil
}

func (o *publishOptions) Validate() error {
	if o.ref.Digest != "" {
		return errors.New("publish takes a tag, not a digest: the digest is computed from the content")
	}
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.printVolume && (o.Output.Format != "text" || o.publish.Format == artifact.PublishArtifact) {
		return errors.New("--print-volume prints YAML for the default image form: drop -o and --format artifact")
	}
	if o.sign {
		if err := o.Signing.Validate(); err != nil {
			return err
		}
	} else if o.Key != "" {
		return errors.New("--key given without --sign: add --sign to sign what is published")
	}
	return o.Registry.Validate()
}

func (o *publishOptions) Run(cmd *cobra.Command) error {
	repo, err := o.Options().Open(o.ref)
	if err != nil {
		return err
	}
	res, err := artifact.Publish(cmd.Context(), repo, o.ref, o.path, o.tags, o.publish)
	if errors.Is(err, errdef.ErrOutsideRoot) && o.publish.Boundary == "" {
		return fmt.Errorf("%w\n(local references may not leave the enclosing git checkout, or PATH itself outside one: "+
			"pass --root with the directory that holds PATH and every base)", err)
	}
	if err != nil {
		return err
	}
	out := publishResult{Published: res}
	if o.sign {
		for _, tag := range res.Tags {
			sig, err := signRef(cmd, repo, o.ref.WithTag(tag), &o.Signing, o.IOStreams)
			if err != nil {
				return fmt.Errorf("published %s but signing failed: %w", res.Reference, err)
			}
			out.Signatures = append(out.Signatures, *sig)
		}
		if out.Provenance, err = o.attest(cmd, repo, res); err != nil {
			return fmt.Errorf("published and signed %s but attaching its provenance failed: %w", res.Reference, err)
		}
	}
	return o.Print(o.Out, out, func(w io.Writer) error {
		for i := range out.Signatures {
			printSignature(o.ErrOut, &out.Signatures[i])
		}
		if out.Provenance != nil {
			printAttestation(o.ErrOut, out.Provenance)
		}
		if o.printVolume {
			snippet, err := artifact.VolumeSnippet(res)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(w, snippet)
			return err
		}
		_, err := fmt.Fprintln(w, res.Reference)
		return err
	})
}

// imageResolver reaches image registries with the docker credential store (--username is bound to
// the artifact's registry) and plain HTTP for loopback hosts, and for the artifact's registry under
// --plain-http.
func (o *publishOptions) imageResolver() *images.Resolver {
	r := &images.Resolver{Options: o.OptionsFor(o.ref), Warn: o.publish.Warn}
	if o.PlainHTTP && !o.ref.IsLayout() {
		r.PlainHTTPHosts = []string{o.ref.Registry}
	}
	return r
}

type publishResult struct {
	artifact.Published
	Signatures []signResult  `json:"signatures,omitempty"`
	Provenance *attestResult `json:"provenance,omitempty"`
}

// attest attaches the SLSA provenance of what was published, signed with the same key and format as
// its signatures.
func (o *publishOptions) attest(cmd *cobra.Command, repo registry.Repository, res artifact.Published) (*attestResult, error) {
	var src provenance.Source
	if res.Source != nil {
		src = provenance.Source{Repository: res.Source.Repository, Revision: res.Source.Revision, Ref: res.Source.Ref, Dirty: res.Source.Dirty}
	}
	format := res.Format
	if res.Kind == artifact.KindHelm {
		format = string(artifact.FormatHelm)
	}
	b := provenance.Build{Name: o.ref.Name(), Digest: res.Digest, Source: src,
		Parameters: buildParameters(format, res.Kind, res.RenderPath, res.Tags)}
	subject := ocispec.Descriptor{MediaType: res.MediaType, Digest: res.Digest, Size: res.Size}
	return attestProvenance(cmd, repo, o.ref, subject, b, &o.Signing, &o.Provenance, o.IOStreams)
}

// parseMultiTagRef splits "registry/repo:1.4.0,latest" into the reference and its tags.
func parseMultiTagRef(s string) (registry.Reference, []string, error) {
	var tags []string
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") && !strings.Contains(s[i:], "@") && i > 0 {
		if !strings.HasPrefix(s, registry.LayoutScheme) || i > len(registry.LayoutScheme) {
			tags = strings.Split(s[i+1:], ",")
			s = s[:i] + ":" + tags[0]
		}
	}
	ref, err := registry.ParseReference(s)
	if err != nil {
		return ref, nil, err
	}
	if ref.Tag != "" && len(tags) == 0 {
		tags = []string{ref.Tag}
	}
	return ref, tags, nil
}

func parseKeyValues(kvs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("annotation %q: use key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

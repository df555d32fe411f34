package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

type publishOptions struct {
	options.Registry
	options.Output
	options.Signing
	genericiooptions.IOStreams

	sign         bool
	path, refArg string
	tags         []string
	annotations  []string
	quiet        bool
	printVolume  bool
	publish      artifact.PublishOptions

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
renders no objects (which would make Argo CD prune everything), is refused. Publishing without --sign onto
a tag whose digest is signed is refused (the tag would stop verifying) unless --force is given.
The pinned reference (registry/repo@sha256:...) is printed on stdout.`,
		Example: `  kubectl gitless publish ./deploy/overlays/prod registry.example.com/platform/app:1.4.0,latest
  kubectl gitless publish ./charts/app registry.example.com/charts/app     # tag = chart version
  kubectl gitless publish ./manifests oci-layout:./out:1.0.0                # OCI layout on disk`,
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
	f.BoolVar(&o.printVolume, "print-volume", false, "print, instead of the reference, the Pod volume (volumes[].image, pinned by digest) and volumeMount that mount the published tree read-only")
	f.BoolVar(&o.publish.Force, "force", false, "move a tag off a signed digest without --sign (the tag stops verifying until signed)")
	o.Signing.AddFlags(f)
	registerCompletions(c)
	_ = c.RegisterFlagCompletionFunc("kind", fixedCompletion("plain", "kustomize", "helm"))
	_ = c.RegisterFlagCompletionFunc("format", fixedCompletion(artifact.PublishImage, artifact.PublishArtifact))
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
	o.publish.Warn = func(msg string) { fmt.Fprintf(o.ErrOut, "Warning: %s\n", msg) }
	return o.Registry.Complete(o.In)
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
	}
	return o.Print(o.Out, out, func(w io.Writer) error {
		for i := range out.Signatures {
			printSignature(o.ErrOut, &out.Signatures[i])
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

type publishResult struct {
	artifact.Published
	Signatures []signResult `json:"signatures,omitempty"`
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

package cmd

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

type inspectOptions struct {
	refCommand
	options.Limits

	noFiles bool
}

func newInspectCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &inspectOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "inspect REF",
		Short: "Show an artifact's digest, manifest, annotations, files and referrers",
		Long: `Resolve REF and show its digest, media types, annotations, config, the files of its content
layer (downloaded and checked by digest), and what refers to it: signatures, SBOMs and attestations found
through the referrers API, the referrers tag schema and cosign's legacy .sig/.att/.sbom tags.`,
		Example: `  kubectl gitless inspect registry.example.com/platform/app:1.4.0
  kubectl gitless inspect registry.example.com/platform/app@sha256:... -o json`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	o.Limits.AddFlags(c.Flags())
	c.Flags().BoolVar(&o.noFiles, "no-files", false, "do not download the content layer to list its files")
	registerCompletions(c)
	return c
}

func (o *inspectOptions) Complete(args []string) error { return o.completeRef(args[0]) }

func (o *inspectOptions) Run(cmd *cobra.Command) error {
	in, err := artifact.Inspect(cmd.Context(), o.repo, o.ref, artifact.InspectOptions{Files: !o.noFiles, Limits: o.Limits.Get()})
	if err != nil {
		return err
	}
	notationSigners(cmd.Context(), o.repo, in)
	sortReferrers(in.Referrers)
	out := inspectResult{Inspection: in}
	subject := ocispec.Descriptor{MediaType: in.MediaType, Digest: digest.Digest(in.Digest), Size: in.Size}
	if out.Provenance, err = provenance.Read(cmd.Context(), o.repo, subject); err != nil {
		return registry.Classify(err, "reading provenance attestations")
	}
	return o.Print(o.Out, out, func(w io.Writer) error {
		if err := printInspection(w, in); err != nil {
			return err
		}
		printProvenance(w, out.Provenance)
		return nil
	})
}

// inspectResult is the inspection with the provenance statements found (not verified: verify --policy
// checks them).
type inspectResult struct {
	*artifact.Inspection
	Provenance []provenance.Found `json:"provenance,omitempty"`
}

// printProvenance lists the provenance statements found, next to the referrers; nothing when none.
func printProvenance(w io.Writer, found []provenance.Found) {
	if len(found) == 0 {
		return
	}
	printSection(w, "Provenance (SLSA v1, signatures not checked: verify --policy checks them)", indexes(len(found)), func(tw io.Writer, i string) {
		p := found[atoi(i)]
		rev := orDash(p.Source.Revision)
		fmt.Fprintf(tw, "  source %s\trevision %s\tref %s\tbuilder %s\t%s %s\n",
			orDash(p.Source.Repository), rev, orDash(p.Source.Ref), orDash(p.BuilderID), p.Format, p.Manifest)
	})
}

// sortReferrers orders referrers by artifact type, then creation time, then digest: registries list
// them in any order (and not the same order twice), and identical runs must print identical output.
func sortReferrers(refs []artifact.Referrer) {
	slices.SortStableFunc(refs, func(a, b artifact.Referrer) int {
		return cmp.Or(
			cmp.Compare(a.ArtifactType, b.ArtifactType),
			cmp.Compare(a.Annotations[ocispec.AnnotationCreated], b.Annotations[ocispec.AnnotationCreated]),
			cmp.Compare(a.Digest, b.Digest),
			cmp.Compare(a.Tag, b.Tag))
	})
}

func printInspection(w io.Writer, in *artifact.Inspection) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("Reference", in.Reference)
	row("Tag", in.Tag)
	row("Digest", in.Digest)
	row("Media type", in.MediaType)
	row("Artifact type", in.ArtifactType)
	row("Size", fmt.Sprint(in.Size))
	row("Artifact", in.Label)
	row("Format", string(in.Format))
	row("Kind", in.Kind)
	row("Render path", in.RenderPath)
	if in.Layer.Digest != "" {
		row("Layer", fmt.Sprintf("%s %s (%d bytes)", in.Layer.MediaType, in.Layer.Digest, in.Layer.Size))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(in.Details) > 0 {
		printSection(w, "Contents", in.Details, func(tw io.Writer, d string) { fmt.Fprintf(tw, "  %s\n", d) })
	}
	annotations := sortedKeys(in.Annotations)
	if in.Images != nil { // shown as its own section below
		annotations = slices.DeleteFunc(annotations, func(k string) bool { return k == images.AnnotationLock })
	}
	printSection(w, "Annotations", annotations, func(tw io.Writer, k string) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, in.Annotations[k])
	})
	printSection(w, "Files", indexes(len(in.Files)), func(tw io.Writer, i string) {
		f := in.Files[atoi(i)]
		mode := f.Mode
		if f.Type == archive.TypeDir {
			mode |= fs.ModeDir
		} else if f.Type == archive.TypeSymlink {
			mode |= fs.ModeSymlink
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", mode, f.Size, entryName(f))
	})
	if in.Images != nil {
		printImages(w, in.Images)
	}
	printSection(w, "Referrers", indexes(len(in.Referrers)), func(tw io.Writer, i string) {
		r := in.Referrers[atoi(i)]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Kind, r.Digest, orDash(r.ArtifactType), orDash(r.Tag))
		if r.Signer != "" {
			fmt.Fprintf(tw, "  \tsigner (unverified): %s\t\t\n", r.Signer)
		}
	})
	return nil
}

// printImages shows the images lock: each image as written, its digest and platforms, and where it
// was found.
func printImages(w io.Writer, lock *images.Lock) {
	printSection(w, "Images lock", indexes(len(lock.Images)), func(tw io.Writer, i string) {
		im := lock.Images[atoi(i)]
		digest := im.Digest
		if digest == "" {
			digest = "unresolved"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", im.Ref, digest, orDash(strings.Join(im.Platforms, ",")))
		for _, s := range im.Sources {
			where := s.Kind
			if s.Name != "" {
				where += " " + path.Join(s.Namespace, s.Name)
			}
			fmt.Fprintf(tw, "    %s\t%s\n", where, s.Field)
		}
	})
}

func printSection(w io.Writer, title string, keys []string, row func(io.Writer, string)) {
	fmt.Fprintf(w, "%s:", title)
	if len(keys) == 0 {
		fmt.Fprintln(w, " none")
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range keys {
		row(tw, k)
	}
	tw.Flush()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func indexes(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return s
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func entryName(f archive.Entry) string {
	if f.Linkname != "" {
		return f.Name + " -> " + f.Linkname
	}
	return f.Name
}

// notationSigners fills in who each Notation signature says signed it; a signature that cannot be
// read keeps an empty signer (inspect reports, verify decides).
func notationSigners(ctx context.Context, f content.Fetcher, in *artifact.Inspection) {
	subject := ocispec.Descriptor{MediaType: in.MediaType, Digest: digest.Digest(in.Digest), Size: in.Size}
	for i, r := range in.Referrers {
		if r.Kind != artifact.LabelNotation {
			continue
		}
		ref := ocispec.Descriptor{MediaType: r.MediaType, Digest: digest.Digest(r.Digest), Size: r.Size}
		if s, err := signature.NotationSigner(ctx, f, subject, ref); err == nil {
			in.Referrers[i].Signer = s
		}
	}
}

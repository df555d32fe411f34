package artifact

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/render"
)

// Publish formats.
const (
	PublishImage    = "image"
	PublishArtifact = "artifact"
)

// PublishOptions control what publish packs and how it labels it.
type PublishOptions struct {
	// Kind overrides detection: plain, kustomize or helm.
	Kind string
	// Format is "image" (default) or "artifact"; Helm charts always use Helm's own media types.
	Format string
	// Boundary is the directory that local references may not leave; default the enclosing git checkout,
	// else the published path itself.
	Boundary string
	// Source, Revision, Version, Title, Description set the org.opencontainers.image.* annotations;
	// Source and Revision default to the git checkout's origin URL and HEAD.
	Source, Revision, Version, Title, Description string
	// SourceRef is the git ref (refs/heads/main, refs/tags/v1) recorded in Published.Source; default the
	// branch HEAD is on, else a tag pointing at HEAD.
	SourceRef string
	// AllowDirty publishes from a checkout whose packed files differ from HEAD (see ErrDirtyCheckout),
	// recording the revision as "<sha>-dirty".
	AllowDirty bool
	// Created defaults to the last commit time, else SOURCE_DATE_EPOCH, else now.
	Created time.Time
	// Annotations are added last and may override any other.
	Annotations map[string]string
	// AllowEmpty publishes content that renders no objects, and records AnnotationAllowEmpty.
	AllowEmpty bool
	// SkipRenderCheck publishes without rendering the packed content first.
	SkipRenderCheck bool
	// Signing says the caller signs each tag right after Publish, so a tag may move off a signed digest.
	Signing bool
	// Force moves a tag off a signed digest without Signing (see ErrSignedTagMoved); Warn is told which
	// digest it left.
	Force bool
	// Warn receives warnings (a forced move of a signed tag); nil discards them.
	Warn func(msg string)
	// Images control the images lock recorded in the manifest (AnnotationLock of package images).
	Images ImagesOptions
	// TempDir holds the packed layer until it is pushed; default os.TempDir().
	TempDir  string
	Progress Progress
}

// Published is the result of Publish.
type Published struct {
	// Reference is the pinned reference repo@sha256:..., safe to deploy.
	Reference   string             `json:"reference"`
	Digest      digest.Digest      `json:"digest"`
	MediaType   string             `json:"mediaType"`
	Size        int64              `json:"size"`
	Tags        []string           `json:"tags,omitempty"`
	Kind        string             `json:"kind"`
	RenderPath  string             `json:"renderPath"`
	Annotations map[string]string  `json:"annotations,omitempty"`
	Layer       ocispec.Descriptor `json:"layer"`
	// Source is where the content came from, for a provenance statement; nil when neither git nor
	// the options name a source.
	Source *SourceInfo `json:"source,omitempty"`
	// Format is the manifest form asked for (image or artifact).
	Format string `json:"format"`
}

// SourceInfo is the source of a publish: repository, revision (with DirtySuffix when the packed files
// differ from it) and ref.
type SourceInfo struct {
	Repository string `json:"repository,omitempty"`
	Revision   string `json:"revision,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Dirty      bool   `json:"dirty,omitempty"`
}

// Publish packs the tree at path reproducibly and pushes it to repo under tags.
// ref names the repository (its tag and digest are ignored) and only serves to print the result.
func Publish(ctx context.Context, repo oras.Target, ref registry.Reference, path string, tags []string, opts PublishOptions) (Published, error) {
	in, err := planPublish(ctx, path, opts)
	if err != nil {
		return Published{}, err
	}
	if len(tags) == 0 && in.chart != nil {
		tags = []string{HelmTag(in.chart.Version)}
	}
	if len(tags) == 0 {
		return Published{}, fmt.Errorf("%w: %s has no tag: add :TAG (for example :1.0.0)", registry.ErrInvalidReference, ref)
	}
	layerPath, packed, err := packLayer(ctx, in, opts.TempDir)
	if err != nil {
		return Published{}, err
	}
	defer os.Remove(layerPath)
	if err := checkClean(ctx, in, layerPath, opts); err != nil {
		return Published{}, err
	}
	if err := checkRenders(ctx, in, layerPath, opts); err != nil {
		return Published{}, err
	}
	if err := lockImages(ctx, in, layerPath, opts); err != nil {
		return Published{}, err
	}
	layer := ocispec.Descriptor{MediaType: in.layerMediaType(), Digest: packed.Digest, Size: packed.Size}
	if in.chart == nil {
		// oras pull unpacks a layer so marked into its output directory, so `oras pull` gives the tree
		// (in both forms: without a title oras skips the layer and pulls nothing).
		layer.Annotations = map[string]string{ocispec.AnnotationTitle: ".", AnnotationOrasUnpack: "true"}
	}
	if err := pushFile(ctx, repo, layer, layerPath, opts.Progress); err != nil {
		return Published{}, err
	}
	manifest, err := pushManifest(ctx, repo, in, layer, packed.DiffID)
	if err != nil {
		return Published{}, err
	}
	if err := checkTagMoves(ctx, repo, tags, manifest, opts); err != nil {
		return Published{}, err
	}
	for _, tag := range tags {
		if err := repo.Tag(ctx, manifest, tag); err != nil {
			return Published{}, registry.Classify(err, "tagging "+tag)
		}
	}
	return Published{
		Reference: ref.WithDigest(manifest.Digest).String(), Digest: manifest.Digest, MediaType: manifest.MediaType,
		Size: manifest.Size, Tags: tags, Kind: in.kind, RenderPath: in.renderPath, Annotations: in.annotations,
		Layer: layer, Source: in.source(opts), Format: in.format,
	}, nil
}

// publishPlan is everything decided before packing.
type publishPlan struct {
	kind, format     string
	path             string // as given, made absolute
	root, renderPath string
	chart            *chartInfo
	created          time.Time
	annotations      map[string]string
	git              gitInfo
	dirty            bool // set by checkClean under AllowDirty
}

func (p *publishPlan) source(opts PublishOptions) *SourceInfo {
	s := &SourceInfo{
		Repository: p.annotations[ocispec.AnnotationSource], Revision: p.annotations[ocispec.AnnotationRevision],
		Ref: orDefault(opts.SourceRef, p.git.Ref), Dirty: p.dirty,
	}
	if *s == (SourceInfo{}) {
		return nil
	}
	return s
}

func planPublish(ctx context.Context, path string, opts PublishOptions) (*publishPlan, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	dir := abs
	if !fi.IsDir() {
		dir = filepath.Dir(abs)
	}
	g := readGitInfo(ctx, dir)
	p := &publishPlan{kind: opts.Kind, format: opts.Format, path: abs, root: abs, renderPath: ".", git: g}
	if p.format == "" {
		p.format = PublishImage
	}
	if p.format != PublishImage && p.format != PublishArtifact {
		return nil, fmt.Errorf("unknown format %q: use image or artifact", p.format)
	}
	if err := p.detect(abs, fi.IsDir(), orDefault(opts.Boundary, orDefault(g.TopLevel, abs))); err != nil {
		return nil, err
	}
	p.created = createdTime(opts.Created, g.Time)
	p.annotations = p.buildAnnotations(opts, g)
	return p, nil
}

func (p *publishPlan) detect(abs string, isDir bool, boundary string) error {
	if !isDir {
		if p.kind == "" {
			p.kind = KindPlain
		}
		return nil
	}
	if p.kind == "" {
		k, err := render.Detect(abs)
		if err != nil {
			return fmt.Errorf("detecting content kind of %s: %w", abs, err)
		}
		p.kind = string(k)
	}
	switch p.kind {
	case KindKustomize:
		root, rp, err := render.PackRoot(abs, boundary)
		if err != nil {
			return fmt.Errorf("finding what the overlay references: %w", err)
		}
		p.root, p.renderPath = root, rp
	case KindHelm:
		c, err := readChart(abs)
		if err != nil {
			return err
		}
		p.chart = c
	case KindPlain:
	default:
		return fmt.Errorf("unknown kind %q: use plain, kustomize or helm", p.kind)
	}
	return nil
}

func (p *publishPlan) buildAnnotations(opts PublishOptions, g gitInfo) map[string]string {
	a := map[string]string{
		ocispec.AnnotationCreated: p.created.Format(time.RFC3339),
		AnnotationKind:            p.kind,
		AnnotationRenderPath:      p.renderPath,
	}
	// The published path's name, not the pack root's: an overlay's pack root may be the checkout
	// itself, whose directory name differs between machines and would change the digest.
	title := orDefault(opts.Title, filepath.Base(p.path))
	if p.chart != nil {
		maps.Copy(a, p.chart.annotations())
		title = orDefault(opts.Title, p.chart.Name)
		a[AnnotationRenderPath] = p.chart.Name
		p.renderPath = p.chart.Name
	}
	setIf(a, ocispec.AnnotationTitle, title)
	setIf(a, ocispec.AnnotationSource, orDefault(opts.Source, g.Source))
	setIf(a, ocispec.AnnotationRevision, orDefault(opts.Revision, g.Revision))
	setIf(a, ocispec.AnnotationVersion, opts.Version)
	setIf(a, ocispec.AnnotationDescription, opts.Description)
	if opts.AllowEmpty {
		a[AnnotationAllowEmpty] = "true"
	}
	maps.Copy(a, opts.Annotations)
	return a
}

func (p *publishPlan) layerMediaType() string {
	if p.chart != nil {
		return MediaTypeHelmChart
	}
	return MediaTypeLayer
}

func packLayer(ctx context.Context, p *publishPlan, tempDir string) (string, archive.PackResult, error) {
	f, err := os.CreateTemp(tempDir, "gitless-layer-*.tar.gz")
	if err != nil {
		return "", archive.PackResult{}, fmt.Errorf("creating temporary file: %w", err)
	}
	var packOpts []archive.PackOption
	if p.chart != nil {
		packOpts = append(packOpts, archive.WithPrefix(p.chart.Name), archive.WithFilter(p.chart.filter))
	}
	res, err := archive.Pack(ctx, p.root, f, packOpts...)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", res, fmt.Errorf("packing %s: %w", p.root, err)
	}
	return f.Name(), res, nil
}

func pushManifest(ctx context.Context, repo oras.Target, p *publishPlan, layer ocispec.Descriptor, diffID digest.Digest) (ocispec.Descriptor, error) {
	config, err := p.config(diffID)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := pushBytes(ctx, repo, config.desc, config.data); err != nil {
		return ocispec.Descriptor{}, err
	}
	m := ocispec.Manifest{
		Versioned:   specsV2,
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      config.desc,
		Layers:      []ocispec.Descriptor{layer},
		Annotations: p.annotations,
	}
	if p.format == PublishArtifact && p.chart == nil {
		m.ArtifactType = ArtifactType
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("encoding manifest: %w", err)
	}
	desc := ocispec.Descriptor{MediaType: m.MediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	if m.ArtifactType != "" {
		desc.ArtifactType = m.ArtifactType
	}
	if err := pushBytes(ctx, repo, desc, raw); err != nil {
		return ocispec.Descriptor{}, err
	}
	return desc, nil
}

type blob struct {
	desc ocispec.Descriptor
	data []byte
}

func (p *publishPlan) config(diffID digest.Digest) (blob, error) {
	var mediaType string
	var v any
	switch {
	case p.chart != nil:
		mediaType, v = MediaTypeHelmConfig, p.chart.Metadata
	case p.format == PublishArtifact:
		return blob{desc: ocispec.DescriptorEmptyJSON, data: ocispec.DescriptorEmptyJSON.Data}, nil
	default:
		created := p.created
		mediaType, v = ocispec.MediaTypeImageConfig, ocispec.Image{
			Created:  &created,
			Platform: ocispec.Platform{Architecture: "unknown", OS: "unknown"},
			RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return blob{}, fmt.Errorf("encoding config: %w", err)
	}
	return blob{desc: ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}, data: data}, nil
}

func createdTime(explicit, commit time.Time) time.Time {
	switch {
	case !explicit.IsZero():
		return explicit.UTC()
	case !commit.IsZero():
		return commit.UTC()
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(secs, 0).UTC()
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

func setIf(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Inspection is everything `inspect` shows about an artifact.
type Inspection struct {
	Reference    string             `json:"reference"`
	Tag          string             `json:"tag,omitempty"`
	Digest       string             `json:"digest"`
	MediaType    string             `json:"mediaType"`
	ArtifactType string             `json:"artifactType,omitempty"`
	Size         int64              `json:"size"`
	Label        string             `json:"label"`
	Format       Format             `json:"format"`
	Kind         string             `json:"kind,omitempty"`
	RenderPath   string             `json:"renderPath"`
	Annotations  map[string]string  `json:"annotations,omitempty"`
	Config       json.RawMessage    `json:"config,omitempty"`
	Layer        ocispec.Descriptor `json:"layer"`
	Files        []archive.Entry    `json:"files,omitempty"`
	Referrers    []Referrer         `json:"referrers"`
	// Images is the images lock recorded at publish (nil when there is none).
	Images   *images.Lock    `json:"images,omitempty"`
	Manifest json.RawMessage `json:"manifest"`
	// Details are what users of another tool's artifact look for (Tekton: its resources; OpenTofu:
	// its platforms; KCL: name and version); empty for configuration.
	Details []string `json:"details,omitempty"`
}

// InspectOptions select the parts that cost a download.
type InspectOptions struct {
	// Files downloads the content layer (checked by digest) to list its files.
	Files   bool
	Limits  archive.Limits
	TempDir string
}

// Inspect resolves ref and describes the artifact, its files and what refers to it.
func Inspect(ctx context.Context, repo content.ReadOnlyGraphStorage, ref registry.Reference, opts InspectOptions) (*Inspection, error) {
	r, err := Resolve(ctx, repo, ref)
	if errors.Is(err, registry.ErrUnsupportedMediaType) {
		return inspectForeign(ctx, repo, ref)
	}
	if err != nil {
		return nil, err
	}
	in := &Inspection{
		Reference: r.Reference, Tag: r.Tag, Digest: r.Descriptor.Digest.String(), MediaType: r.Descriptor.MediaType,
		ArtifactType: r.Manifest.ArtifactType, Size: r.Descriptor.Size, Format: r.Content.Format, Kind: r.Content.Kind,
		RenderPath: r.Content.RenderPath, Annotations: r.Manifest.Annotations, Layer: r.Content.Layer,
		Manifest: r.raw, Label: labelManifest(r),
	}
	if lock, ok, err := images.FromAnnotations(r.Manifest.Annotations); err != nil {
		return nil, err
	} else if ok {
		in.Images = &lock
	}
	if in.Config, err = fetchConfig(ctx, repo, r.Manifest.Config); err != nil {
		return nil, err
	}
	if opts.Files {
		if in.Files, err = listFiles(ctx, repo, r, opts); err != nil {
			return nil, err
		}
	}
	if in.Referrers, err = ListReferrers(ctx, repo, r.Descriptor); err != nil {
		return nil, registry.Classify(err, "listing referrers")
	}
	return in, nil
}

func labelManifest(r *Resolved) string {
	switch r.Content.Format {
	case FormatHelm:
		return LabelHelmChart
	case FormatFlux:
		return LabelFlux
	case FormatOras, FormatOrasFile:
		return "oras artifact"
	}
	if r.Content.Kind != "" {
		return LabelGitless
	}
	return "OCI image"
}

func fetchConfig(ctx context.Context, f content.Fetcher, desc ocispec.Descriptor) (json.RawMessage, error) {
	if desc.Size > MaxManifestSize || desc.Size == 0 {
		return nil, nil
	}
	raw, err := content.FetchAll(ctx, f, desc)
	if err != nil {
		return nil, registry.Classify(err, "fetching config "+desc.Digest.String())
	}
	if !json.Valid(raw) {
		return nil, nil
	}
	return raw, nil
}

func listFiles(ctx context.Context, repo content.Fetcher, r *Resolved, opts InspectOptions) ([]archive.Entry, error) {
	if r.Content.Format == FormatOrasFile {
		files := make([]archive.Entry, 0, len(r.Content.Files))
		for _, d := range r.Content.Files {
			files = append(files, archive.Entry{Name: d.Annotations[ocispec.AnnotationTitle], Size: d.Size, Mode: 0o644, Type: "file"})
		}
		return files, nil
	}
	limits := opts.Limits.WithDefaults()
	path, err := FetchBlob(ctx, []Source{{Name: "registry", Fetcher: repo}}, r.Content.Layer, opts.TempDir,
		limits.MaxCompressedSize, nil)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening fetched layer: %w", err)
	}
	defer f.Close()
	return archive.List(ctx, f, archive.WithLimits(limits))
}

// inspectForeign describes what is not configuration (another tool's artifact, an index) by the
// type table, with its annotations, config and referrers; nothing is downloaded beyond the manifest.
func inspectForeign(ctx context.Context, repo content.ReadOnlyGraphStorage, ref registry.Reference) (*Inspection, error) {
	desc, err := ResolveDescriptor(ctx, repo, ref)
	if err != nil {
		return nil, err
	}
	if desc.Size > MaxManifestSize {
		return nil, fmt.Errorf("%w: manifest %s is %d bytes, over the %d limit", registry.ErrUnsupportedMediaType, desc.Digest, desc.Size, MaxManifestSize)
	}
	raw, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		return nil, registry.Classify(err, "fetching manifest "+desc.Digest.String())
	}
	in := &Inspection{Reference: ref.WithDigest(desc.Digest).String(), Tag: ref.Tag, Digest: desc.Digest.String(),
		MediaType: desc.MediaType, Size: desc.Size, Manifest: raw, Label: LabelUnknown}
	if idx, ok := parseIndex(raw); ok {
		info := ClassifyIndex(idx)
		in.Label, in.Details, in.ArtifactType, in.Annotations = info.Name, info.Details, idx.ArtifactType, idx.Annotations
	} else if m, err := ParseManifest(raw); err == nil {
		in.ArtifactType, in.Annotations = m.ArtifactType, m.Annotations
		if info, ok := ClassifyManifest(m); ok {
			in.Label, in.Details = info.Name, info.Details
		}
		if in.Config, err = fetchConfig(ctx, repo, m.Config); err != nil {
			return nil, err
		}
	}
	if in.Referrers, err = ListReferrers(ctx, repo, desc); err != nil {
		return nil, registry.Classify(err, "listing referrers")
	}
	return in, nil
}

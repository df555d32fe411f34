package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// MaxManifestSize bounds manifests and configs read from a registry; larger documents are refused.
const MaxManifestSize = 4 << 20

// Format names the shape of an artifact as read.
type Format string

// Formats recognised by Parse.
const (
	FormatImage    Format = "image"    // gitless default, or any image whose first layer is tar+gzip
	FormatArtifact Format = "artifact" // OCI 1.1 artifact written by publish --format artifact
	FormatHelm     Format = "helm"
	FormatFlux     Format = "flux"
	FormatOras     Format = "oras" // oras push of a directory (unpack annotation)
	FormatOrasFile Format = "oras-files"
)

// Content describes where the configuration lives inside an artifact.
type Content struct {
	Format Format
	// Layer is the tarball to extract, or for FormatOrasFile the first of Files.
	Layer ocispec.Descriptor
	// Files are the single-file layers of an `oras push FILE...` artifact, named by their title.
	Files []ocispec.Descriptor
	// Kind is the recorded content kind (plain, kustomize, helm) or empty when unknown.
	Kind string
	// RenderPath is the path inside the extracted tree to render ("." for the root).
	RenderPath string
}

// FetchManifest fetches and decodes the manifest desc, refusing oversized documents, documents that are
// both a manifest and an index, and bytes that do not match the descriptor.
func FetchManifest(ctx context.Context, f content.Fetcher, desc ocispec.Descriptor) (ocispec.Manifest, []byte, error) {
	var m ocispec.Manifest
	if desc.Size > MaxManifestSize {
		return m, nil, fmt.Errorf("%w: manifest %s is %d bytes, over the %d limit", registry.ErrUnsupportedMediaType,
			desc.Digest, desc.Size, MaxManifestSize)
	}
	raw, err := content.FetchAll(ctx, f, desc)
	if err != nil {
		return m, nil, registry.Classify(err, "fetching manifest "+desc.Digest.String())
	}
	m, err = ParseManifest(raw)
	return m, raw, err
}

// ParseManifest decodes an OCI or Docker image manifest. It refuses ambiguous documents.
func ParseManifest(raw []byte) (ocispec.Manifest, error) {
	var probe struct {
		MediaType string           `json:"mediaType"`
		Manifests json.RawMessage  `json:"manifests"`
		Layers    json.RawMessage  `json:"layers"`
		Config    *json.RawMessage `json:"config"`
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &probe); err != nil {
		return m, fmt.Errorf("%w: decoding manifest: %v", registry.ErrUnsupportedMediaType, err)
	}
	if probe.Manifests != nil && (probe.Layers != nil || probe.Config != nil) {
		return m, fmt.Errorf("%w: document is both a manifest and an index", registry.ErrUnsupportedMediaType)
	}
	if probe.Manifests != nil || probe.MediaType == ocispec.MediaTypeImageIndex || probe.MediaType == mediaTypeDockerIndex {
		what := orDefault(probe.MediaType, "document")
		if idx, ok := parseIndex(raw); ok {
			what += " (" + ClassifyIndex(idx).Name + ")"
		}
		return m, fmt.Errorf("%w: %s is an index; give the digest of one manifest", registry.ErrUnsupportedMediaType, what)
	}
	switch probe.MediaType {
	case "", ocispec.MediaTypeImageManifest, mediaTypeDockerManifest:
	default:
		return m, fmt.Errorf("%w: manifest media type %q", registry.ErrUnsupportedMediaType, probe.MediaType)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: decoding manifest: %v", registry.ErrUnsupportedMediaType, err)
	}
	if probe.Config == nil {
		return m, fmt.Errorf("%w: manifest has no config", registry.ErrUnsupportedMediaType)
	}
	return m, nil
}

// Locate finds the configuration content in a manifest of any supported shape. Unknown shapes are
// refused with an error naming the media types seen.
func Locate(m ocispec.Manifest) (Content, error) {
	c := Content{Kind: m.Annotations[AnnotationKind], RenderPath: cleanRenderPath(m.Annotations[AnnotationRenderPath])}
	if c.RenderPath == "" {
		return c, fmt.Errorf("%w: render path %q leaves the artifact", registry.ErrUnsupportedMediaType,
			m.Annotations[AnnotationRenderPath])
	}
	if info, ok := ClassifyManifest(m); ok {
		return c, fmt.Errorf("%w: %w", registry.ErrUnsupportedMediaType, notConfiguration(info))
	}
	switch {
	case m.Config.MediaType == MediaTypeHelmConfig:
		c.Format, c.Kind = FormatHelm, KindHelm
		return c.withLayer(m, MediaTypeHelmChart, MediaTypeHelmLegacyChart)
	case m.Config.MediaType == MediaTypeFluxConfig:
		c.Format = FormatFlux
		return c.withLayer(m, MediaTypeFluxContent, MediaTypeLayer)
	case m.ArtifactType == ArtifactType || m.Config.MediaType == ArtifactType:
		c.Format = FormatArtifact
		return c.withLayer(m, MediaTypeLayer)
	case c.Kind != "" && (m.Config.MediaType == ocispec.MediaTypeImageConfig):
		c.Format = FormatImage
		return c.withLayer(m, MediaTypeLayer)
	}
	if l, ok := orasDirectory(m); ok {
		c.Format, c.Layer = FormatOras, l
		if c.RenderPath == "." {
			c.RenderPath = cleanRenderPath(l.Annotations[ocispec.AnnotationTitle])
		}
		if c.RenderPath == "" {
			return c, fmt.Errorf("%w: layer title %q leaves the artifact", registry.ErrUnsupportedMediaType,
				l.Annotations[ocispec.AnnotationTitle])
		}
		return c, nil
	}
	if m.Config.MediaType == ocispec.MediaTypeImageConfig || m.Config.MediaType == mediaTypeDockerConfig {
		c.Format = FormatImage
		return c.withLayer(m, MediaTypeLayer, mediaTypeDockerLayer, ocispec.MediaTypeImageLayer)
	}
	if files := orasFiles(m); len(files) > 0 {
		c.Format, c.Files, c.Layer = FormatOrasFile, files, files[0]
		return c, nil
	}
	// `oras push REF app.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip` and the like: one tarball
	// layer under any config, as Argo CD's own OCI support reads it.
	if l, ok := tarballLayer(m); ok {
		c.Format, c.Layer = FormatOras, l
		return c, nil
	}
	return c, unsupported(m)
}

// tarballLayers are the layer media types read as a (gzip-compressed or plain) tar of manifests.
var tarballLayers = []string{MediaTypeLayer, ocispec.MediaTypeImageLayer, mediaTypeDockerLayer, MediaTypeHelmLegacyChart,
	"application/x-tar", "application/x-gtar", "application/gzip", "application/x-gzip"}

// tarballLayer returns the only tarball layer of m, when it has exactly one.
func tarballLayer(m ocispec.Manifest) (ocispec.Descriptor, bool) {
	var found []ocispec.Descriptor
	for _, l := range m.Layers {
		if slices.Contains(tarballLayers, l.MediaType) {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		return ocispec.Descriptor{}, false
	}
	return found[0], true
}

func (c Content) withLayer(m ocispec.Manifest, mediaTypes ...string) (Content, error) {
	for _, l := range m.Layers {
		for _, mt := range mediaTypes {
			if l.MediaType == mt {
				c.Layer = l
				return c, nil
			}
		}
	}
	return c, unsupported(m)
}

func orasDirectory(m ocispec.Manifest) (ocispec.Descriptor, bool) {
	if len(m.Layers) != 1 || m.Layers[0].Annotations[AnnotationOrasUnpack] != "true" {
		return ocispec.Descriptor{}, false
	}
	return m.Layers[0], true
}

// orasFiles returns the layers of an `oras push FILE...` artifact: every layer names a YAML or JSON file.
func orasFiles(m ocispec.Manifest) []ocispec.Descriptor {
	for _, l := range m.Layers {
		title := l.Annotations[ocispec.AnnotationTitle]
		ext := strings.ToLower(path.Ext(title))
		if title == "" || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			return nil
		}
	}
	return m.Layers
}

func unsupported(m ocispec.Manifest) error {
	types := []string{"config " + orDefault(m.Config.MediaType, "(none)")}
	if m.ArtifactType != "" {
		types = append(types, "artifactType "+m.ArtifactType)
	}
	for _, l := range m.Layers {
		types = append(types, "layer "+l.MediaType)
	}
	return fmt.Errorf("%w: no configuration content found (%s); expected a gitless, Helm, Flux or oras artifact",
		registry.ErrUnsupportedMediaType, strings.Join(types, ", "))
}

// cleanRenderPath returns p as a clean relative path, "." for none, or "" when p leaves the tree.
func cleanRenderPath(p string) string {
	if p == "" {
		return "."
	}
	c := path.Clean(strings.TrimPrefix(p, "/"))
	if c == ".." || strings.HasPrefix(c, "../") || strings.Contains(p, "\\") {
		return ""
	}
	return c
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

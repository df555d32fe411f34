package artifact_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

func layer(mediaType string, annotations map[string]string) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromString(mediaType + annotations[ocispec.AnnotationTitle]), Size: 10, Annotations: annotations}
}

func config(mediaType string) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromString(mediaType), Size: 2}
}

func TestLocate(t *testing.T) {
	title := func(s string) map[string]string { return map[string]string{ocispec.AnnotationTitle: s} }
	orasDir := func(s string) map[string]string {
		return map[string]string{ocispec.AnnotationTitle: s, artifact.AnnotationOrasUnpack: "true"}
	}
	tests := []struct {
		name       string
		m          ocispec.Manifest
		format     artifact.Format
		renderPath string
		kind       string
		files      int
		errHas     []string
	}{
		{name: "gitless image", m: ocispec.Manifest{Config: config(ocispec.MediaTypeImageConfig),
			Layers:      []ocispec.Descriptor{layer(artifact.MediaTypeLayer, orasDir("."))},
			Annotations: map[string]string{artifact.AnnotationKind: "kustomize", artifact.AnnotationRenderPath: "overlays/zone-a"}},
			format: artifact.FormatImage, renderPath: "overlays/zone-a", kind: "kustomize"},
		{name: "gitless artifact", m: ocispec.Manifest{ArtifactType: artifact.ArtifactType, Config: ocispec.DescriptorEmptyJSON,
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeLayer, nil)}, Annotations: map[string]string{artifact.AnnotationKind: "plain"}},
			format: artifact.FormatArtifact, renderPath: ".", kind: "plain"},
		{name: "helm", m: ocispec.Manifest{Config: config(artifact.MediaTypeHelmConfig),
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeHelmProvenance, nil), layer(artifact.MediaTypeHelmChart, nil)}},
			format: artifact.FormatHelm, renderPath: ".", kind: "helm"},
		{name: "helm legacy layer", m: ocispec.Manifest{Config: config(artifact.MediaTypeHelmConfig),
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeHelmLegacyChart, nil)}},
			format: artifact.FormatHelm, renderPath: ".", kind: "helm"},
		{name: "flux", m: ocispec.Manifest{Config: config(artifact.MediaTypeFluxConfig),
			Layers:      []ocispec.Descriptor{layer(artifact.MediaTypeFluxContent, nil)},
			Annotations: map[string]string{"org.opencontainers.image.source": "https://github.com/x/y"}},
			format: artifact.FormatFlux, renderPath: "."},
		{name: "oras directory", m: ocispec.Manifest{ArtifactType: "application/vnd.unknown.artifact.v1", Config: ocispec.DescriptorEmptyJSON,
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeLayer, orasDir("deploy"))}},
			format: artifact.FormatOras, renderPath: "deploy"},
		{name: "oras files", m: ocispec.Manifest{ArtifactType: "application/vnd.unknown.artifact.v1", Config: ocispec.DescriptorEmptyJSON,
			Layers: []ocispec.Descriptor{layer("application/vnd.oci.image.layer.v1.tar", title("a.yaml")),
				layer("application/vnd.oci.image.layer.v1.tar", title("b.json"))}},
			format: artifact.FormatOrasFile, renderPath: ".", files: 2},
		{name: "oras tarball file", m: ocispec.Manifest{ArtifactType: "application/vnd.unknown.artifact.v1", Config: ocispec.DescriptorEmptyJSON,
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeLayer, title("app.tar.gz"))}},
			format: artifact.FormatOras, renderPath: "."},
		{name: "two tarball files are ambiguous", m: ocispec.Manifest{Config: ocispec.DescriptorEmptyJSON,
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeLayer, title("a.tgz")), layer("application/x-tar", title("b.tar"))}},
			errHas: []string{"application/x-tar"}},
		{name: "plain image", m: ocispec.Manifest{Config: config(ocispec.MediaTypeImageConfig),
			Layers: []ocispec.Descriptor{layer(ocispec.MediaTypeImageLayerGzip, nil)}},
			format: artifact.FormatImage, renderPath: "."},
		{name: "unknown shape", m: ocispec.Manifest{Config: config("application/vnd.example.config+json"),
			Layers: []ocispec.Descriptor{layer("application/octet-stream", title("x.bin"))}},
			errHas: []string{"application/vnd.example.config+json", "application/octet-stream"}},
		{name: "helm without a chart layer", m: ocispec.Manifest{Config: config(artifact.MediaTypeHelmConfig),
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeHelmProvenance, nil)}},
			errHas: []string{artifact.MediaTypeHelmProvenance}},
		{name: "render path leaves the artifact", m: ocispec.Manifest{Config: config(ocispec.MediaTypeImageConfig),
			Layers:      []ocispec.Descriptor{layer(artifact.MediaTypeLayer, nil)},
			Annotations: map[string]string{artifact.AnnotationKind: "plain", artifact.AnnotationRenderPath: "../x"}},
			errHas: []string{"../x"}},
		{name: "render path with backslash", m: ocispec.Manifest{Config: config(ocispec.MediaTypeImageConfig),
			Layers:      []ocispec.Descriptor{layer(artifact.MediaTypeLayer, nil)},
			Annotations: map[string]string{artifact.AnnotationKind: "plain", artifact.AnnotationRenderPath: `..\x`}},
			errHas: []string{"leaves the artifact"}},
		{name: "oras title leaves the artifact", m: ocispec.Manifest{Config: ocispec.DescriptorEmptyJSON,
			Layers: []ocispec.Descriptor{layer(artifact.MediaTypeLayer, orasDir("../up"))}},
			errHas: []string{"../up"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := artifact.Locate(tt.m)
			if len(tt.errHas) > 0 {
				if !isErr(err, registry.ErrUnsupportedMediaType) {
					t.Fatalf("Locate = %+v, %v; want ErrUnsupportedMediaType", c, err)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not name %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Locate: %v", err)
			}
			if c.Format != tt.format || c.RenderPath != tt.renderPath || c.Kind != tt.kind || len(c.Files) != tt.files {
				t.Errorf("Locate = %+v", c)
			}
			if c.Layer.Digest == "" {
				t.Error("no layer located")
			}
		})
	}
}

func TestParseManifest(t *testing.T) {
	cfg := `{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + digest.FromString("c").String() + `","size":1}`
	tests := []struct {
		name, doc string
		errHas    string
	}{
		{name: "manifest", doc: `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":` + cfg + `,"layers":[]}`},
		{name: "docker manifest", doc: `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":` + cfg + `,"layers":[]}`},
		{name: "no media type", doc: `{"schemaVersion":2,"config":` + cfg + `,"layers":[]}`},
		{name: "manifest and index", doc: `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":` + cfg + `,"layers":[],"manifests":[]}`, errHas: "both"},
		{name: "index", doc: `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`, errHas: "index"},
		{name: "docker list", doc: `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}`, errHas: "index"},
		{name: "index without media type", doc: `{"schemaVersion":2,"manifests":[]}`, errHas: "index"},
		{name: "other media type", doc: `{"schemaVersion":2,"mediaType":"application/vnd.example+json","config":` + cfg + `}`, errHas: "application/vnd.example+json"},
		{name: "no config", doc: `{"schemaVersion":2,"layers":[]}`, errHas: "no config"},
		{name: "not JSON", doc: `<html>`, errHas: "decoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := artifact.ParseManifest([]byte(tt.doc))
			if tt.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !isErr(err, registry.ErrUnsupportedMediaType) || !strings.Contains(err.Error(), tt.errHas) {
				t.Fatalf("err = %v, want ErrUnsupportedMediaType mentioning %q", err, tt.errHas)
			}
		})
	}
}

func TestFetchManifestLimits(t *testing.T) {
	tg := targets(t, "big")[2] // OCI layout
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.DescriptorEmptyJSON,
		Annotations: map[string]string{"pad": strings.Repeat("x", artifact.MaxManifestSize)}}
	m.SchemaVersion = 2
	raw, _ := json.Marshal(m)
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
	if err := tg.repo.Push(ctx(t), desc, strings.NewReader(string(raw))); err != nil {
		t.Fatal(err)
	}
	_, _, err := artifact.FetchManifest(ctx(t), tg.repo, desc)
	if !isErr(err, registry.ErrUnsupportedMediaType) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("oversized manifest: err = %v", err)
	}
	// a descriptor that understates the size must not let a larger document through
	small := desc
	small.Size = 100
	if _, _, err := artifact.FetchManifest(ctx(t), tg.repo, small); err == nil {
		t.Fatal("a manifest longer than its descriptor was accepted")
	}
}

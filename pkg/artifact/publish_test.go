package artifact_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

func TestPublishPullRoundTrip(t *testing.T) {
	tests := []struct {
		name           string
		path           string
		tags           []string
		wantTags       []string
		kind           string
		renderPath     string
		format         artifact.Format
		layerMediaType string
		configType     string
		// tree is what the pulled directory must hold, relative to the example directory given
		treeFrom, treeUnder string
	}{
		{name: "plain", path: "plain", tags: []string{"1.0.0"}, wantTags: []string{"1.0.0"}, kind: "plain", renderPath: ".",
			format: artifact.FormatImage, layerMediaType: ocispec.MediaTypeImageLayerGzip, configType: ocispec.MediaTypeImageConfig,
			treeFrom: "plain"},
		{name: "kustomize overlay", path: "kustomize/overlays/zone-a", tags: []string{"1.0.0", "latest"}, wantTags: []string{"1.0.0", "latest"},
			kind: "kustomize", renderPath: "overlays/zone-a", format: artifact.FormatImage,
			layerMediaType: ocispec.MediaTypeImageLayerGzip, configType: ocispec.MediaTypeImageConfig, treeFrom: "kustomize"},
		{name: "helm chart", path: "helm/guestbook", wantTags: []string{"0.1.0"}, kind: "helm", renderPath: "guestbook",
			format: artifact.FormatHelm, layerMediaType: artifact.MediaTypeHelmChart, configType: artifact.MediaTypeHelmConfig,
			treeFrom: "helm/guestbook", treeUnder: "guestbook"},
		{name: "single file", path: "plain/configmap.yaml", tags: []string{"v1"}, wantTags: []string{"v1"}, kind: "plain", renderPath: ".",
			format: artifact.FormatImage, layerMediaType: ocispec.MediaTypeImageLayerGzip, configType: ocispec.MediaTypeImageConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tg := range targets(t, "examples/"+strings.ReplaceAll(tt.name, " ", "-")) {
				t.Run(tg.name, func(t *testing.T) {
					pub, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, tt.path), tt.tags, artifact.PublishOptions{
						Created: fixedCreated, Source: "https://example.com/gitless.git", Revision: "abc123",
					})
					if err != nil {
						t.Fatalf("Publish: %v", err)
					}
					if pub.Reference != tg.ref.WithDigest(pub.Digest).String() {
						t.Errorf("Reference = %q", pub.Reference)
					}
					if strings.Join(pub.Tags, ",") != strings.Join(tt.wantTags, ",") {
						t.Errorf("tags = %v, want %v", pub.Tags, tt.wantTags)
					}
					if pub.Kind != tt.kind || pub.RenderPath != tt.renderPath {
						t.Errorf("kind %q render path %q, want %q %q", pub.Kind, pub.RenderPath, tt.kind, tt.renderPath)
					}
					if pub.Layer.MediaType != tt.layerMediaType {
						t.Errorf("layer media type %q, want %q", pub.Layer.MediaType, tt.layerMediaType)
					}
					for _, tag := range tt.wantTags {
						d, err := artifact.ResolveDescriptor(ctx(t), tg.repo, tg.ref.WithTag(tag))
						if err != nil || d.Digest != pub.Digest {
							t.Errorf("tag %s resolves to %v, %v; want %s", tag, d.Digest, err, pub.Digest)
						}
					}
					dir := filepath.Join(t.TempDir(), "out")
					pulled, err := artifact.Pull(ctx(t), tg.repo, tg.ref.WithTag(tt.wantTags[0]), dir, artifact.MaterializeOptions{})
					if err != nil {
						t.Fatalf("Pull: %v", err)
					}
					m := pulled.Manifest
					if pulled.Content.Format != tt.format || m.Config.MediaType != tt.configType || m.ArtifactType != "" {
						t.Errorf("format %q config %q artifactType %q", pulled.Content.Format, m.Config.MediaType, m.ArtifactType)
					}
					if pulled.Content.RenderPath != tt.renderPath || pulled.Content.Kind != tt.kind {
						t.Errorf("pulled render path %q kind %q", pulled.Content.RenderPath, pulled.Content.Kind)
					}
					checkAnnotations(t, m.Annotations, tt.kind)
					got := readTree(t, dir)
					switch {
					case tt.treeFrom == "":
						sameTree(t, got, map[string]string{"configmap.yaml": readTree(t, example(t, "plain"))["configmap.yaml"]})
					case tt.treeUnder != "":
						want := map[string]string{}
						for k, v := range readTree(t, example(t, tt.treeFrom)) {
							want[tt.treeUnder+"/"+k] = v
						}
						sameTree(t, got, want)
					default:
						sameTree(t, got, readTree(t, example(t, tt.treeFrom)))
					}
					if tt.format == artifact.FormatHelm {
						checkHelmConfig(t, tg, m)
					}
				})
			}
		})
	}
}

func checkAnnotations(t *testing.T, a map[string]string, kind string) {
	t.Helper()
	want := map[string]string{
		ocispec.AnnotationCreated:  "2026-01-02T03:04:05Z",
		ocispec.AnnotationSource:   "https://example.com/gitless.git",
		ocispec.AnnotationRevision: "abc123",
		artifact.AnnotationKind:    kind,
	}
	if kind == "helm" {
		want[ocispec.AnnotationVersion] = "0.1.0"
		want[ocispec.AnnotationTitle] = "guestbook"
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, a[k], v)
		}
	}
	if a[ocispec.AnnotationTitle] == "" {
		t.Errorf("no title annotation")
	}
}

func checkHelmConfig(t *testing.T, tg target, m ocispec.Manifest) {
	t.Helper()
	raw, err := content.FetchAll(ctx(t), tg.repo, m.Config)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Name, Version, APIVersion string }
	if err := json.Unmarshal(raw, &meta); err != nil || meta.Name != "guestbook" || meta.Version != "0.1.0" || meta.APIVersion != "v2" {
		t.Errorf("helm config = %s (%v)", raw, err)
	}
}

func TestPublishArtifactForm(t *testing.T) {
	for _, tg := range targets(t, "form/artifact") {
		t.Run(tg.name, func(t *testing.T) {
			pub, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, "plain"), []string{"1.0.0"},
				artifact.PublishOptions{Format: artifact.PublishArtifact, Created: fixedCreated})
			if err != nil {
				t.Fatal(err)
			}
			r, err := artifact.Resolve(ctx(t), tg.repo, tg.ref.WithTag("1.0.0"))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				ArtifactType string             `json:"artifactType"`
				Config       ocispec.Descriptor `json:"config"`
				Layers       []ocispec.Descriptor
			}
			if err := json.Unmarshal(r.RawManifest(), &m); err != nil {
				t.Fatal(err)
			}
			if m.ArtifactType != artifact.ArtifactType {
				t.Errorf("artifactType = %q", m.ArtifactType)
			}
			empty := ocispec.DescriptorEmptyJSON
			if m.Config.MediaType != empty.MediaType || m.Config.Digest != empty.Digest || m.Config.Size != empty.Size {
				t.Errorf("config = %+v, want the empty descriptor", m.Config)
			}
			if len(m.Layers) != 1 || m.Layers[0].Digest != pub.Layer.Digest || m.Layers[0].MediaType != artifact.MediaTypeLayer {
				t.Errorf("layers = %+v", m.Layers)
			}
			if r.Content.Format != artifact.FormatArtifact {
				t.Errorf("format = %q", r.Content.Format)
			}
			dir := filepath.Join(t.TempDir(), "out")
			if _, err := artifact.Pull(ctx(t), tg.repo, tg.ref.WithTag("1.0.0"), dir, artifact.MaterializeOptions{}); err != nil {
				t.Fatal(err)
			}
			sameTree(t, readTree(t, dir), readTree(t, example(t, "plain")))
		})
	}
}

// TestPublishReproducible publishes the same tree from two copies that differ in modes (umask 077 vs
// 002) and modification times, as two machines' checkouts would, and expects identical digests.
func TestPublishReproducible(t *testing.T) {
	src := example(t, "kustomize")
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	copyTree(t, src, a, 0o600, 0o700, time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC))
	copyTree(t, src, b, 0o664, 0o775, time.Now())
	tg := targets(t, "repro")
	opts := artifact.PublishOptions{Created: fixedCreated, Source: "https://example.com/gitless.git", Revision: "0123456789abcdef"}
	var results []artifact.Published
	for i, dir := range []string{a, b} {
		o := opts
		o.Boundary = dir
		for _, x := range tg {
			pub, err := artifact.Publish(ctx(t), x.repo, x.ref, filepath.Join(dir, "overlays", "zone-a"), []string{"v" + string(rune('1'+i))}, o)
			if err != nil {
				t.Fatalf("%s: %v", x.name, err)
			}
			results = append(results, pub)
		}
	}
	for _, r := range results[1:] {
		if r.Digest != results[0].Digest || r.Layer.Digest != results[0].Layer.Digest {
			t.Fatalf("digests differ:\n%s layer %s\n%s layer %s", results[0].Digest, results[0].Layer.Digest, r.Digest, r.Layer.Digest)
		}
	}
	if title := results[0].Annotations[ocispec.AnnotationTitle]; title != "zone-a" {
		t.Errorf("title = %q, want the overlay's name", title)
	}
	t.Logf("reproducible: manifest %s, layer %s (%d bytes)", results[0].Digest, results[0].Layer.Digest, results[0].Layer.Size)

	t.Run("content change changes the digest", func(t *testing.T) {
		c := filepath.Join(t.TempDir(), "c")
		copyTree(t, src, c, 0o644, 0o755, time.Now())
		if err := appendFile(filepath.Join(c, "base", "service.yaml"), "# changed\n"); err != nil {
			t.Fatal(err)
		}
		o := opts
		o.Boundary = c
		pub, err := artifact.Publish(ctx(t), tg[0].repo, tg[0].ref, filepath.Join(c, "overlays", "zone-a"), []string{"v3"}, o)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Layer.Digest == results[0].Layer.Digest {
			t.Fatal("a changed file gave the same layer digest")
		}
	})
}

func TestPublishErrors(t *testing.T) {
	tg := targets(t, "errors")[2]
	tests := []struct {
		name, path string
		tags       []string
		opts       artifact.PublishOptions
		want       error
		msg        string
	}{
		{name: "no tag", path: example(t, "plain"), want: registry.ErrInvalidReference, msg: "add :TAG"},
		{name: "missing path", path: filepath.Join(t.TempDir(), "nothing"), tags: []string{"1"}, msg: "nothing"},
		{name: "unknown kind", path: example(t, "plain"), tags: []string{"1"}, opts: artifact.PublishOptions{Kind: "jsonnet"}, msg: "unknown kind"},
		{name: "unknown format", path: example(t, "plain"), tags: []string{"1"}, opts: artifact.PublishOptions{Format: "zip"}, msg: "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := artifact.Publish(ctx(t), tg.repo, tg.ref, tt.path, tt.tags, tt.opts)
			if err == nil || (tt.want != nil && !isErr(err, tt.want)) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.msg)
			}
		})
	}
	t.Run("overlay leaving the boundary", func(t *testing.T) {
		c := filepath.Join(t.TempDir(), "c")
		copyTree(t, example(t, "kustomize"), c, 0o644, 0o755, time.Now())
		_, err := artifact.Publish(ctx(t), tg.repo, tg.ref, filepath.Join(c, "overlays", "zone-a"), []string{"1"},
			artifact.PublishOptions{Boundary: filepath.Join(c, "overlays")})
		if err == nil || !strings.Contains(err.Error(), "base") {
			t.Fatalf("err = %v, want an error naming the base", err)
		}
	})
}

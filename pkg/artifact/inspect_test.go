package artifact_test

import (
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// attachReferrer pushes a manifest of artifactType whose subject is subject (an OCI 1.1 referrer;
// oras-go maintains the referrers tag schema itself on a registry without the API).
func attachReferrer(t *testing.T, repo registry.Repository, subject ocispec.Descriptor, artifactType string) ocispec.Descriptor {
	t.Helper()
	blob := []byte(`{"kind":"` + artifactType + `"}`)
	layer := content.NewDescriptorFromBytes("application/json", blob)
	if err := repo.Push(ctx(t), layer, strings.NewReader(string(blob))); err != nil {
		t.Fatal(err)
	}
	d, err := oras.PackManifest(ctx(t), repo, oras.PackManifestVersion1_1, artifactType, oras.PackManifestOptions{
		Subject: &subject, Layers: []ocispec.Descriptor{layer},
	})
	if err != nil {
		t.Fatalf("pushing referrer: %v", err)
	}
	return d
}

// tagLegacySignature pushes a cosign-style simple-signing manifest under sha256-<hex>.sig.
func tagLegacySignature(t *testing.T, repo registry.Repository, subject ocispec.Descriptor) ocispec.Descriptor {
	t.Helper()
	payload := []byte(`{"critical":{"image":{"docker-manifest-digest":"` + subject.Digest.String() + `"}}}`)
	layer := content.NewDescriptorFromBytes(artifact.MediaTypeCosignSimpleSign, payload)
	layer.Annotations = map[string]string{"dev.cosignproject.cosign/signature": "MEUCIQ=="}
	if err := repo.Push(ctx(t), layer, strings.NewReader(string(payload))); err != nil {
		t.Fatal(err)
	}
	d, err := oras.PackManifest(ctx(t), repo, oras.PackManifestVersion1_0, "", oras.PackManifestOptions{
		Layers: []ocispec.Descriptor{layer}, ConfigDescriptor: pushEmptyConfig(t, repo),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx(t), d, artifact.LegacyTag(subject, ".sig")); err != nil {
		t.Fatal(err)
	}
	return d
}

func pushEmptyConfig(t *testing.T, repo registry.Repository) *ocispec.Descriptor {
	cfg := []byte(`{}`)
	d := content.NewDescriptorFromBytes("application/vnd.oci.image.config.v1+json", cfg)
	if ok, _ := repo.Exists(ctx(t), d); ok {
		return &d
	}
	if err := repo.Push(ctx(t), d, strings.NewReader(string(cfg))); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestInspect(t *testing.T) {
	for _, tg := range targets(t, "inspect/app") {
		t.Run(tg.name, func(t *testing.T) {
			pub, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, "plain"), []string{"1.0.0"},
				artifact.PublishOptions{Created: fixedCreated, Source: "https://example.com/x.git", Revision: "r1"})
			if err != nil {
				t.Fatal(err)
			}
			subject := ocispec.Descriptor{MediaType: pub.MediaType, Digest: pub.Digest, Size: pub.Size}
			sbom := attachReferrer(t, tg.repo, subject, "application/spdx+json")
			bundle := attachReferrer(t, tg.repo, subject, artifact.MediaTypeSigstoreBundle)
			sig := tagLegacySignature(t, tg.repo, subject)

			in, err := artifact.Inspect(ctx(t), tg.repo, tg.ref.WithTag("1.0.0"), artifact.InspectOptions{Files: true})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if in.Digest != pub.Digest.String() || in.Tag != "1.0.0" || in.Label != artifact.LabelGitless ||
				in.Format != artifact.FormatImage || in.Kind != "plain" || in.RenderPath != "." {
				t.Errorf("inspection = %+v", in)
			}
			if in.Annotations[ocispec.AnnotationRevision] != "r1" || len(in.Config) == 0 || len(in.Manifest) == 0 {
				t.Errorf("annotations %v, config %s", in.Annotations, in.Config)
			}
			var names []string
			for _, f := range in.Files {
				names = append(names, f.Name)
			}
			if strings.Join(names, ",") != "configmap.yaml,deployment.yaml,service.yaml" {
				t.Errorf("files = %v", names)
			}
			want := map[string]string{ // digest -> label/via
				sbom.Digest.String():   artifact.LabelSPDX + "/referrers",
				bundle.Digest.String(): artifact.LabelSigstoreBundle + "/referrers",
				sig.Digest.String():    artifact.LabelCosignSignature + "/tag",
			}
			got := map[string]string{}
			for _, r := range in.Referrers {
				got[r.Digest] = r.Kind + "/" + r.Via
				if r.Via == "tag" && r.Tag != artifact.LegacyTag(subject, ".sig") {
					t.Errorf("legacy referrer tag = %q", r.Tag)
				}
			}
			for d, w := range want {
				if got[d] != w {
					t.Errorf("referrer %s = %q, want %q (all: %v)", d, got[d], w, got)
				}
			}
			if len(got) != len(want) {
				t.Errorf("referrers = %v", got)
			}
		})
	}
}

func TestInspectHelmChart(t *testing.T) {
	tg := targets(t, "charts/guestbook")[1] // Distribution
	if _, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, "helm/guestbook"), nil, artifact.PublishOptions{Created: fixedCreated}); err != nil {
		t.Fatal(err)
	}
	in, err := artifact.Inspect(ctx(t), tg.repo, tg.ref.WithTag("0.1.0"), artifact.InspectOptions{Files: true})
	if err != nil {
		t.Fatal(err)
	}
	if in.Label != artifact.LabelHelmChart || in.Format != artifact.FormatHelm || in.RenderPath != "guestbook" {
		t.Errorf("inspection = %+v", in)
	}
	if len(in.Files) == 0 {
		t.Fatal("no files listed")
	}
	if in.Files[0].Name != "guestbook" {
		t.Errorf("first entry %q, want the chart directory", in.Files[0].Name)
	}
}

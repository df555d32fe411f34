package artifact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

type layerSpec struct {
	mediaType   string
	data        string
	annotations map[string]string
}

// craft is one artifact as its tool writes it (published media types and annotations).
type craft struct {
	name         string
	artifactType string
	configType   string
	config       string
	layers       []layerSpec
	annotations  map[string]string
	wantLabel    string
	wantDetail   string
}

var crafted = []craft{
	{name: "tekton", configType: ocispec.MediaTypeImageConfig, config: `{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}`,
		layers: []layerSpec{
			{"application/vnd.cdf.tekton.catalog.v1beta1+yaml", "task", map[string]string{artifact.AnnotationTektonKind: "task", artifact.AnnotationTektonName: "build", artifact.AnnotationTektonAPIVersion: "tekton.dev/v1"}},
			{"application/vnd.cdf.tekton.catalog.v1beta1+yaml", "pipeline", map[string]string{artifact.AnnotationTektonKind: "pipeline", artifact.AnnotationTektonName: "ci", artifact.AnnotationTektonAPIVersion: "tekton.dev/v1"}},
		}, wantLabel: artifact.LabelTekton, wantDetail: "pipeline ci (tekton.dev/v1)"},
	{name: "opentofu-module", artifactType: artifact.ArtifactTypeOpenTofuModule, configType: ocispec.MediaTypeEmptyJSON, config: "{}",
		layers: []layerSpec{{"archive/zip", "PK\x05\x06" + strings.Repeat("\x00", 18), nil}}, wantLabel: artifact.LabelOpenTofuModule},
	{name: "kubewarden", configType: artifact.MediaTypeWasmConfigV1, config: `{}`,
		layers: []layerSpec{{artifact.MediaTypeWasmLayerV1, "\x00asm\x01\x00\x00\x00", nil}}, wantLabel: artifact.LabelKubewarden},
	{name: "cncf-wasm", configType: artifact.MediaTypeWasmConfigV0, config: `{"architecture":"wasm","os":"wasip1","layerDigests":[]}`,
		layers: []layerSpec{{artifact.MediaTypeWasmLayerV0, "\x00asm\x01\x00\x00\x00", nil}}, wantLabel: artifact.LabelWasm},
	{name: "kcl", configType: ocispec.MediaTypeEmptyJSON, config: "{}",
		layers:      []layerSpec{{ocispec.MediaTypeImageLayer, "kcl.mod", nil}},
		annotations: map[string]string{artifact.AnnotationKCLName: "k8s", artifact.AnnotationKCLVersion: "1.31.2"}, wantLabel: artifact.LabelKCL, wantDetail: "package k8s 1.31.2"},
	{name: "notation", artifactType: artifact.ArtifactTypeNotation, configType: ocispec.MediaTypeEmptyJSON, config: "{}",
		layers: []layerSpec{{"application/jose+json", "{}", nil}}, wantLabel: artifact.LabelNotation},
	{name: "spdx", artifactType: "application/spdx+json", configType: ocispec.MediaTypeEmptyJSON, config: "{}",
		layers: []layerSpec{{"application/spdx+json", "{}", nil}}, wantLabel: artifact.LabelSPDX},
	{name: "cyclonedx", artifactType: "application/vnd.cyclonedx+json", configType: ocispec.MediaTypeEmptyJSON, config: "{}",
		layers: []layerSpec{{"application/vnd.cyclonedx+json", "{}", nil}}, wantLabel: artifact.LabelCycloneDX},
	{name: "in-toto", artifactType: "application/vnd.in-toto+json", configType: ocispec.MediaTypeEmptyJSON, config: "{}",
		layers: []layerSpec{{"application/vnd.dsse.envelope.v1+json", "{}", nil}}, wantLabel: artifact.LabelInToto},
	{name: "cosign-legacy-signature", configType: ocispec.MediaTypeImageConfig, config: `{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}`,
		layers: []layerSpec{{artifact.MediaTypeCosignSimpleSign, "{}", map[string]string{"dev.cosignproject.cosign/signature": "MEU="}}}, wantLabel: artifact.LabelCosignSignature},
	{name: "sigstore-bundle", artifactType: artifact.MediaTypeSigstoreBundle, configType: ocispec.MediaTypeEmptyJSON, config: "{}",
		layers: []layerSpec{{artifact.MediaTypeSigstoreBundle, "{}", nil}}, wantLabel: artifact.LabelSigstoreBundle},
}

func pushBlob(t *testing.T, repo registry.Repository, mediaType string, data []byte) ocispec.Descriptor {
	t.Helper()
	d := content.NewDescriptorFromBytes(mediaType, data)
	if err := repo.Push(ctx(t), d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return d
}

func (c craft) push(t *testing.T, repo registry.Repository, tag string) ocispec.Descriptor {
	t.Helper()
	cfg := pushBlob(t, repo, c.configType, []byte(c.config))
	var layers []ocispec.Descriptor
	for _, l := range c.layers {
		d := pushBlob(t, repo, l.mediaType, []byte(l.data))
		d.Annotations = l.annotations
		layers = append(layers, d)
	}
	version := oras.PackManifestVersion1_1
	if c.artifactType == "" {
		version = oras.PackManifestVersion1_0 // image-shaped, no artifactType (kcl mod push, tkn, cosign)
	}
	d, err := oras.PackManifest(ctx(t), repo, version, c.artifactType, oras.PackManifestOptions{
		ConfigDescriptor: &cfg, Layers: layers, ManifestAnnotations: c.annotations})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx(t), d, tag); err != nil {
		t.Fatal(err)
	}
	return d
}

// pushProvider pushes an OpenTofu provider: an index of one provider-target manifest per platform.
func pushProvider(t *testing.T, repo registry.Repository, tag string) ocispec.Descriptor {
	t.Helper()
	var manifests []ocispec.Descriptor
	for _, p := range []ocispec.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "darwin", Architecture: "arm64"}} {
		c := craft{artifactType: artifact.ArtifactTypeOpenTofuProviderTarget, configType: ocispec.MediaTypeEmptyJSON, config: "{}",
			layers: []layerSpec{{"archive/zip", p.OS + p.Architecture, nil}}}
		d := c.push(t, repo, "target-"+p.OS)
		d.Platform, d.ArtifactType = &p, artifact.ArtifactTypeOpenTofuProviderTarget
		manifests = append(manifests, d)
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, ArtifactType: artifact.ArtifactTypeOpenTofuProvider, Manifests: manifests}
	idx.SchemaVersion = 2
	raw, _ := json.Marshal(idx)
	d := pushBlob(t, repo, ocispec.MediaTypeImageIndex, raw)
	if err := repo.Tag(ctx(t), d, tag); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestArtifactTypes: inspect and list name every type, the sidecar's reader refuses each with an
// error naming it, and copy carries it (an index whole) without changing its digest.
func TestArtifactTypes(t *testing.T) {
	for _, tg := range targets(t, "tools/x")[:2] {
		t.Run(tg.name, func(t *testing.T) {
			dst := remoteTarget(t, "dst", tg.reg, "zone/x")
			all := append(slices.Clone(crafted), craft{name: "opentofu-provider", wantLabel: artifact.LabelOpenTofuProvider, wantDetail: "platform darwin/arm64"})
			for _, c := range all {
				var d ocispec.Descriptor
				if c.name == "opentofu-provider" {
					d = pushProvider(t, tg.repo, c.name)
				} else {
					d = c.push(t, tg.repo, c.name)
				}
				ref := tg.ref.WithTag(c.name)
				in, err := artifact.Inspect(ctx(t), tg.repo, ref, artifact.InspectOptions{})
				if err != nil {
					t.Fatalf("%s: inspect: %v", c.name, err)
				}
				if in.Label != c.wantLabel || (c.wantDetail != "" && !slices.Contains(in.Details, c.wantDetail)) {
					t.Errorf("%s: inspect says %q %v, want %q with %q", c.name, in.Label, in.Details, c.wantLabel, c.wantDetail)
				}
				_, err = artifact.Resolve(ctx(t), tg.repo, ref)
				if !errors.Is(err, registry.ErrUnsupportedMediaType) || !strings.Contains(err.Error(), c.wantLabel) {
					t.Errorf("%s: the sidecar's reader: want a refusal naming %q, got %v", c.name, c.wantLabel, err)
				}
				copied, err := artifact.Copy(ctx(t), tg.repo, ref, dst.repo, dst.ref, nil, artifact.CopyOptions{})
				if err != nil || copied.Digest != d.Digest.String() {
					t.Fatalf("%s: copy: %v %+v", c.name, err, copied)
				}
			}
			rows, err := artifact.List(ctx(t), dst.repo, artifact.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]string{}
			for _, r := range rows {
				kinds[r.Tag] = r.Kind
			}
			for _, c := range all {
				if kinds[c.name] != c.wantLabel {
					t.Errorf("list at the copy: %s is %q, want %q", c.name, kinds[c.name], c.wantLabel)
				}
			}
		})
	}
}

package artifact

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
)

// Media types and annotations of the other tools whose artifacts live next to the configuration in
// the same registries. Each is recognised by one row of foreignTypes.
const (
	// Reference: https://tekton.dev/docs/pipelines/tekton-bundle-contracts/
	AnnotationTektonKind       = "dev.tekton.image.kind"
	AnnotationTektonName       = "dev.tekton.image.name"
	AnnotationTektonAPIVersion = "dev.tekton.image.apiVersion"
	// Reference: https://opentofu.org/docs/cli/oci_registries/module-package
	ArtifactTypeOpenTofuModule = "application/vnd.opentofu.modulepkg"
	// Reference: https://opentofu.org/docs/cli/oci_registries/provider-mirror
	ArtifactTypeOpenTofuProvider       = "application/vnd.opentofu.provider"
	ArtifactTypeOpenTofuProviderTarget = "application/vnd.opentofu.provider-target"
	// Kubewarden policies (wasm-to-oci) and the CNCF TAG Runtime's WASM artifact.
	// Reference: https://tag-runtime.cncf.io/wgs/wasm/deliverables/wasm-oci-artifact/
	MediaTypeWasmConfigV1 = "application/vnd.wasm.config.v1+json"
	MediaTypeWasmLayerV1  = "application/vnd.wasm.content.layer.v1+wasm"
	MediaTypeWasmConfigV0 = "application/vnd.wasm.config.v0+json"
	MediaTypeWasmLayerV0  = "application/wasm"
	// KCL modules (kcl mod push).
	AnnotationKCLName    = "org.kcllang.package.name"
	AnnotationKCLVersion = "org.kcllang.package.version"
	// Notation signatures. Reference: https://github.com/notaryproject/specifications
	ArtifactTypeNotation = "application/vnd.cncf.notary.signature"
)

// Artifact type names, as inspect and list show them.
const (
	LabelTekton           = "Tekton bundle"
	LabelOpenTofuModule   = "OpenTofu module"
	LabelOpenTofuProvider = "OpenTofu provider"
	LabelKubewarden       = "Kubewarden policy (WASM)"
	LabelWasm             = "WASM module"
	LabelKCL              = "KCL module"
)

// TypeInfo names an artifact and gives what its users look for (Tekton: the resources; OpenTofu:
// the platforms; KCL: name and version).
type TypeInfo struct {
	Name    string   `json:"name"`
	Details []string `json:"details,omitempty"`
}

// foreignType is one row of the table: how to recognise a type from its manifest, and its details.
type foreignType struct {
	name    string
	match   func(m ocispec.Manifest) bool
	details func(m ocispec.Manifest) []string
}

var foreignTypes = []foreignType{
	{LabelTekton, func(m ocispec.Manifest) bool {
		return len(m.Layers) > 0 && slices.ContainsFunc(m.Layers, func(l ocispec.Descriptor) bool { return l.Annotations[AnnotationTektonKind] != "" })
	}, tektonResources},
	{LabelOpenTofuModule, func(m ocispec.Manifest) bool { return m.ArtifactType == ArtifactTypeOpenTofuModule }, nil},
	{LabelOpenTofuProvider, func(m ocispec.Manifest) bool { return m.ArtifactType == ArtifactTypeOpenTofuProviderTarget }, nil},
	{LabelKubewarden, func(m ocispec.Manifest) bool { return m.Config.MediaType == MediaTypeWasmConfigV1 }, nil},
	{LabelWasm, func(m ocispec.Manifest) bool {
		return m.Config.MediaType == MediaTypeWasmConfigV0 || hasLayer(m, MediaTypeWasmLayerV0, MediaTypeWasmLayerV1)
	}, nil},
	{LabelKCL, func(m ocispec.Manifest) bool { return m.Annotations[AnnotationKCLName] != "" }, func(m ocispec.Manifest) []string {
		return []string{"package " + m.Annotations[AnnotationKCLName] + " " + m.Annotations[AnnotationKCLVersion]}
	}},
	{LabelNotation, func(m ocispec.Manifest) bool { return m.ArtifactType == ArtifactTypeNotation }, nil},
}

func hasLayer(m ocispec.Manifest, mediaTypes ...string) bool {
	return slices.ContainsFunc(m.Layers, func(l ocispec.Descriptor) bool { return slices.Contains(mediaTypes, l.MediaType) })
}

func tektonResources(m ocispec.Manifest) []string {
	var out []string
	for _, l := range m.Layers {
		if k := l.Annotations[AnnotationTektonKind]; k != "" {
			out = append(out, fmt.Sprintf("%s %s (%s)", k, l.Annotations[AnnotationTektonName], l.Annotations[AnnotationTektonAPIVersion]))
		}
	}
	return out
}

// ClassifyManifest names a manifest that is not configuration (a Tekton bundle, an OpenTofu module,
// a WASM module, a KCL module, a signature, SBOM or attestation); ok is false when no row matches.
func ClassifyManifest(m ocispec.Manifest) (TypeInfo, bool) {
	for _, t := range foreignTypes {
		if t.match(m) {
			info := TypeInfo{Name: t.name}
			if t.details != nil {
				info.Details = t.details(m)
			}
			return info, true
		}
	}
	if l := labelReferrer(ocispec.Descriptor{ArtifactType: orDefault(m.ArtifactType, m.Config.MediaType), Annotations: m.Annotations}); l != LabelUnknown && l != LabelGitless {
		return TypeInfo{Name: l}, true
	}
	if l := labelLayers(m); l != "" {
		return TypeInfo{Name: l}, true
	}
	return TypeInfo{}, false
}

// labelLayers names signatures and SBOMs stored image-shaped (cosign's legacy form, an SBOM pushed
// with oras), whose layers say what they are.
func labelLayers(m ocispec.Manifest) string {
	for _, l := range m.Layers {
		if k := labelReferrer(ocispec.Descriptor{ArtifactType: l.MediaType, Annotations: l.Annotations}); k != LabelUnknown && k != LabelGitless {
			return k
		}
	}
	return ""
}

// ClassifyIndex names an index: an OpenTofu provider (one manifest per platform), or a multi-platform
// image otherwise; Details lists the platforms.
func ClassifyIndex(idx ocispec.Index) TypeInfo {
	info := TypeInfo{Name: "image index"}
	if idx.ArtifactType == ArtifactTypeOpenTofuProvider || slices.ContainsFunc(idx.Manifests, func(d ocispec.Descriptor) bool {
		return d.ArtifactType == ArtifactTypeOpenTofuProviderTarget
	}) {
		info.Name = LabelOpenTofuProvider
	}
	for _, d := range idx.Manifests {
		if d.Platform != nil {
			info.Details = append(info.Details, "platform "+d.Platform.OS+"/"+d.Platform.Architecture)
		}
	}
	return info
}

// TypeOf names what desc is, reading its manifest or index: the type table's name, the configuration
// format gitless reads ("gitless artifact", "Helm chart", ...), or "unknown".
func TypeOf(ctx context.Context, f content.Fetcher, desc ocispec.Descriptor) string {
	if desc.Size > MaxManifestSize {
		return LabelUnknown
	}
	raw, err := content.FetchAll(ctx, f, desc)
	if err != nil {
		return LabelUnknown
	}
	return typeOfRaw(raw)
}

func typeOfRaw(raw []byte) string {
	if idx, ok := parseIndex(raw); ok {
		return ClassifyIndex(idx).Name
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return LabelUnknown
	}
	if info, ok := ClassifyManifest(m); ok {
		return info.Name
	}
	if c, err := Locate(m); err == nil {
		return labelManifest(&Resolved{Content: c})
	}
	return LabelUnknown
}

func parseIndex(raw []byte) (ocispec.Index, bool) {
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil || idx.Manifests == nil {
		return idx, false
	}
	return idx, idx.MediaType == ocispec.MediaTypeImageIndex || idx.MediaType == mediaTypeDockerIndex || idx.MediaType == ""
}

// notConfiguration is the refusal for a manifest the type table names: it is another tool's artifact.
func notConfiguration(info TypeInfo) error {
	return fmt.Errorf("this is a %s, not Kubernetes configuration: point the Application at a gitless, Helm, Flux or oras artifact (kubectl gitless inspect shows what a reference holds)",
		strings.TrimSpace(info.Name))
}

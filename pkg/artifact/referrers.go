package artifact

import (
	"context"
	"errors"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	orasregistry "oras.land/oras-go/v2/registry"
)

// Referrer labels: what a manifest attached to an artifact is.
const (
	LabelGitless         = "gitless artifact"
	LabelHelmChart       = "Helm chart"
	LabelFlux            = "Flux artifact"
	LabelCosignSignature = "cosign signature"
	LabelSigstoreBundle  = "Sigstore bundle"
	LabelNotation        = "Notation signature"
	LabelSPDX            = "SPDX SBOM"
	LabelCycloneDX       = "CycloneDX SBOM"
	LabelInToto          = "in-toto attestation"
	LabelUnknown         = "unknown"
)

// Referrer is a manifest that refers to an artifact: a signature, SBOM or attestation.
type Referrer struct {
	Digest       string `json:"digest"`
	MediaType    string `json:"mediaType"`
	ArtifactType string `json:"artifactType,omitempty"`
	Size         int64  `json:"size"`
	Kind         string `json:"kind"`
	// Via says how it was found: "referrers" (API or tag schema) or "tag" (a legacy cosign tag).
	Via         string            `json:"via"`
	Tag         string            `json:"tag,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Signer is the subject of a Notation signature's signing certificate, as the envelope claims it
	// (unverified; filled in by the caller that reads envelopes).
	Signer string `json:"signer,omitempty"`
}

// legacySuffixes are cosign's tag-based attachments: sha256-<hex>.sig, .att, .sbom.
var legacySuffixes = map[string]string{".sig": LabelCosignSignature, ".att": LabelInToto, ".sbom": "SBOM"}

// LegacyTag returns cosign's tag for an attachment of subject, e.g. sha256-<hex>.sig.
func LegacyTag(subject ocispec.Descriptor, suffix string) string {
	return strings.Replace(subject.Digest.String(), ":", "-", 1) + suffix
}

// ListReferrers finds what refers to subject: through the referrers API, the referrers tag schema when
// the registry has no API (oras-go falls back by itself), and cosign's legacy .sig/.att/.sbom tags.
func ListReferrers(ctx context.Context, repo content.ReadOnlyGraphStorage, subject ocispec.Descriptor) ([]Referrer, error) {
	descs, err := orasregistry.Referrers(ctx, repo, subject, "")
	if err != nil && !errors.Is(err, errdef.ErrNotFound) && !errors.Is(err, errdef.ErrUnsupported) {
		return nil, err
	}
	out := make([]Referrer, 0, len(descs))
	for _, d := range descs {
		out = append(out, Referrer{Digest: d.Digest.String(), MediaType: d.MediaType, ArtifactType: d.ArtifactType,
			Size: d.Size, Kind: labelReferrer(d), Via: "referrers", Annotations: d.Annotations})
	}
	resolver, ok := repo.(content.Resolver)
	if !ok {
		return out, nil
	}
	for _, suffix := range []string{".sig", ".att", ".sbom"} {
		tag := LegacyTag(subject, suffix)
		d, err := resolver.Resolve(ctx, tag)
		if err != nil {
			continue
		}
		out = append(out, Referrer{Digest: d.Digest.String(), MediaType: d.MediaType, Size: d.Size,
			Kind: legacySuffixes[suffix], Via: "tag", Tag: tag})
	}
	return out, nil
}

func labelReferrer(d ocispec.Descriptor) string {
	t := d.ArtifactType
	if (t == "" || t == ocispec.MediaTypeEmptyJSON) && d.Annotations["dev.sigstore.bundle.content"] != "" {
		// some registries (go-containerregistry's) report the config media type as artifactType, which for
		// cosign's bundles is the empty descriptor's; the bundle annotations cosign writes still say what it is
		t = mediaTypeSigstoreBundleV
	}
	switch {
	case strings.HasPrefix(t, mediaTypeSigstoreBundleV), strings.HasPrefix(t, "application/vnd.dev.sigstore.bundle"):
		if p := d.Annotations["dev.sigstore.bundle.predicateType"]; p != "" && !isSignaturePredicate(p) {
			return LabelInToto + " (" + p + ")"
		}
		return LabelSigstoreBundle
	case t == MediaTypeCosignSimpleSign:
		return LabelCosignSignature
	case t == mediaTypeNotation:
		return LabelNotation
	case strings.HasPrefix(t, mediaTypeSPDX), t == mediaTypeSPDXText:
		return LabelSPDX
	case strings.HasPrefix(t, "application/vnd.cyclonedx"):
		return LabelCycloneDX
	case t == mediaTypeInToto, t == mediaTypeDSSE:
		return LabelInToto
	}
	return labelArtifact(d.ArtifactType, "")
}

// labelArtifact names what a manifest with this artifactType or config media type is.
func labelArtifact(artifactType, configMediaType string) string {
	switch {
	case artifactType == ArtifactType:
		return LabelGitless
	case configMediaType == MediaTypeHelmConfig:
		return LabelHelmChart
	case configMediaType == MediaTypeFluxConfig:
		return LabelFlux
	}
	return LabelUnknown
}

// mediaTypeNotation is the Notary Project signature's artifact type (its config media type).
const mediaTypeNotation = "application/vnd.cncf.notary.signature"

// isSignaturePredicate reports the predicate types cosign uses for a plain signature in bundle form.
func isSignaturePredicate(p string) bool {
	return p == "https://sigstore.dev/cosign/sign/v1" || strings.Contains(p, "cosign.sigstore.dev/signature")
}

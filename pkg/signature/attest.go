package signature

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	"oras.land/oras-go/v2"
)

// Attestation storage: cosign's, so that `cosign verify-attestation` reads what Attest writes.
const (
	// DSSEMediaType is the layer media type of cosign's legacy ".att" attestations.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// PredicateTypeAnnotation names an attestation layer's predicate type (legacy form).
	PredicateTypeAnnotation = "predicateType"
)

// AttestationTag is the tag cosign v2 stores attestations of d under: "sha256-<hex>.att".
func AttestationTag(d digest.Digest) string {
	return strings.Replace(d.String(), ":", "-", 1) + ".att"
}

// Attest signs statement (an in-toto statement whose subject is subject's digest, of predicateType)
// as a DSSE envelope and stores it in target the way `cosign attest` does: a Sigstore bundle as an OCI
// 1.1 referrer (FormatBundle, `--new-bundle-format`), or a layer of the "sha256-<hex>.att" manifest
// (FormatLegacy), appended so earlier attestations are kept. Only WithFormat applies.
func Attest(ctx context.Context, target oras.Target, signer *Signer, subject ocispec.Descriptor, predicateType string, statement []byte, opts ...SignOption) (ocispec.Descriptor, error) {
	o := signOptions{format: FormatBundle}
	for _, opt := range opts {
		opt(&o)
	}
	if signer == nil {
		return ocispec.Descriptor{}, fmt.Errorf("attesting: no signer (load one with LoadSigner)")
	}
	if err := subject.Digest.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("attesting: %w", err)
	}
	subject = ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	switch o.format {
	case FormatBundle:
		return attestBundle(ctx, target, signer, subject, predicateType, statement)
	case FormatLegacy:
		return attestLegacy(ctx, target, signer, subject, predicateType, statement)
	}
	return ocispec.Descriptor{}, fmt.Errorf("attestation format %q: %w (use %q or %q)", o.format, ErrUnsupported, FormatBundle, FormatLegacy)
}

// attestBundle mirrors cosign's WriteAttestationNewBundleFormat (pkg/oci/remote/write.go, v2.6.5): a
// Sigstore bundle of the DSSE-signed statement as a referrer of subject. gitless's signatures are such
// bundles too, with cosign's sign predicate type.
func attestBundle(ctx context.Context, target oras.Target, s *Signer, subject ocispec.Descriptor, predicateType string, statement []byte) (ocispec.Descriptor, error) {
	bundleBytes, err := s.bundle(ctx, statement)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layer, err := pushBlob(ctx, target, BundleMediaType, bundleBytes)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	// The empty config is pushed by hand so its descriptor carries no inline data, as cosign's.
	config, err := pushBlob(ctx, target, ocispec.MediaTypeEmptyJSON, ocispec.DescriptorEmptyJSON.Data)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, BundleMediaType, oras.PackManifestOptions{
		Subject:          &subject,
		Layers:           []ocispec.Descriptor{layer},
		ConfigDescriptor: &config,
		ManifestAnnotations: map[string]string{
			ocispec.AnnotationCreated: time.Now().UTC().Format(time.RFC3339),
			BundleContentAnnotation:   "dsse-envelope",
			BundlePredicateTypeAnno:   predicateType,
		},
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("pushing bundle for %s: %w", subject.Digest, err)
	}
	return desc, nil
}

// attestLegacy mirrors `cosign attest` without --new-bundle-format: the DSSE envelope is the layer,
// its signature inside (the signature annotation is empty), the predicate type an annotation.
func attestLegacy(ctx context.Context, target oras.Target, s *Signer, subject ocispec.Descriptor, predicateType string, statement []byte) (ocispec.Descriptor, error) {
	envelope, err := dsse.WrapSigner(s.sv, inTotoPayloadType).SignMessage(bytes.NewReader(statement), sigopts.WithContext(ctx))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("signing: %w", err)
	}
	layer, err := pushBlob(ctx, target, DSSEMediaType, envelope)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layer.Annotations = map[string]string{SignatureAnnotation: "", PredicateTypeAnnotation: predicateType}
	if s.cert != nil {
		layer.Annotations[CertificateAnnotation] = string(s.cert)
		layer.Annotations[ChainAnnotation] = string(s.chain)
	}
	tag := AttestationTag(subject.Digest)
	_, manifest, config, err := existingLegacy(ctx, target, tag)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return appendLegacy(ctx, target, tag, manifest, config, layer, "attestation")
}

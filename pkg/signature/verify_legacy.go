package signature

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"oras.land/oras-go/v2/errdef"
)

// legacyManifests returns the manifests that may hold simple-signing layers: the
// "sha256-<hex>.sig" tag, then referrers of cosign's OCI 1.1 signature artifact type (written by
// `cosign sign --registry-referrers-mode=oci-1-1`).
func legacyManifests(ctx context.Context, store Store, subject ocispec.Descriptor, sigRefs []ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	tag := LegacyTag(subject.Digest)
	desc, err := store.Resolve(ctx, tag)
	if errors.Is(err, errdef.ErrNotFound) {
		return sigRefs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", tag, err)
	}
	return append([]ocispec.Descriptor{desc}, sigRefs...), nil
}

// legacyCandidates returns up to limit simple-signing layers of one signature manifest; a transport
// failure fetching the manifest is an error, a manifest that is not one is a failing candidate.
func (v *Verifier) legacyCandidates(ctx context.Context, store Store, subject, desc ocispec.Descriptor, limit int, upstream bool) ([]candidate, error) {
	fail := func(err error) []candidate { // a manifest that cannot be read as one holds no signature
		return []candidate{{format: FormatLegacy, upstream: upstream, check: func(context.Context) (*SignatureInfo, error) { return nil, err }}}
	}
	mb, err := fetchLimited(ctx, store, desc, MaxManifestSize)
	var inv *invalidError
	if errors.As(err, &inv) {
		return fail(err), nil
	}
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return fail(invalid("decoding signature manifest %s: %w", desc.Digest, err)), nil
	}
	var cands []candidate
	for _, l := range m.Layers {
		if len(cands) == limit {
			break
		}
		if l.MediaType != SimpleSigningMediaType {
			continue
		}
		cands = append(cands, candidate{format: FormatLegacy, upstream: upstream, check: func(ctx context.Context) (*SignatureInfo, error) {
			return v.checkLegacy(ctx, store, subject, desc, l)
		}})
	}
	return cands, nil
}

func (v *Verifier) checkLegacy(ctx context.Context, store Store, subject, manifest, layer ocispec.Descriptor) (*SignatureInfo, error) {
	sig, err := base64.StdEncoding.DecodeString(layer.Annotations[SignatureAnnotation])
	if err != nil || len(sig) == 0 {
		return nil, invalid("layer %s: missing or malformed %s annotation", layer.Digest, SignatureAnnotation)
	}
	pb, err := fetchLimited(ctx, store, layer, MaxBlobSize)
	if err != nil {
		return nil, err
	}
	info := &SignatureInfo{Manifest: manifest.Digest}
	if err := v.checkLegacySignature(ctx, layer, pb, sig, info); err != nil {
		return nil, err
	}
	var sci payload.SimpleContainerImage
	if err := json.Unmarshal(pb, &sci); err != nil {
		return nil, invalid("layer %s: decoding payload: %w", layer.Digest, err)
	}
	if sci.Critical.Type != payload.CosignSignatureType {
		return nil, invalid("layer %s: payload type %q is not %q", layer.Digest, sci.Critical.Type, payload.CosignSignatureType)
	}
	if sci.Critical.Image.DockerManifestDigest != subject.Digest.String() {
		return nil, invalid("layer %s: payload signs %s, not %s", layer.Digest, sci.Critical.Image.DockerManifestDigest, subject.Digest)
	}
	for k, val := range sci.Optional {
		if s, ok := val.(string); ok {
			if info.Annotations == nil {
				info.Annotations = map[string]string{}
			}
			info.Annotations[k] = s
		}
	}
	info.BoundTag = info.Annotations[TagAnnotation]
	info.SignedRepository = sci.Critical.Identity.DockerReference
	return info, nil
}

func (v *Verifier) checkLegacySignature(ctx context.Context, layer ocispec.Descriptor, pb, sig []byte, info *SignatureInfo) error {
	if v.keyless != nil {
		return v.checkLegacyKeyless(layer, pb, sig, info)
	}
	for _, k := range v.keys {
		if err := k.verifier.VerifySignature(bytes.NewReader(sig), bytes.NewReader(pb), sigopts.WithContext(ctx)); err == nil {
			info.KeyID, info.KeySource = k.ID, k.Source
			return nil
		}
	}
	return invalid("layer %s: signature does not verify with %s", layer.Digest, v.describe())
}

// checkLegacyKeyless reframes a legacy signature with its certificate annotation as a
// message-signature bundle, so sigstore-go applies the same chain, time and identity checks as
// for bundles.
func (v *Verifier) checkLegacyKeyless(layer ocispec.Descriptor, pb, sig []byte, info *SignatureInfo) error {
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(layer.Annotations[CertificateAnnotation]))
	if err != nil || len(certs) == 0 {
		return invalid("layer %s: keyless policy needs a %s annotation", layer.Digest, CertificateAnnotation)
	}
	sum := sha256.Sum256(pb)
	b, err := sgbundle.NewBundle(&protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: certs[0].Raw}},
		},
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
			Signature:     sig,
		}},
	})
	if err != nil {
		return invalid("layer %s: %w", layer.Digest, err)
	}
	policy := verify.NewPolicy(verify.WithArtifact(bytes.NewReader(pb)), verify.WithCertificateIdentity(v.keyless.identity))
	res, err := verifyBundleWith(b, v.keyless.trusted, v.keyless.options, policy)
	if err != nil {
		return invalid("layer %s: %w", layer.Digest, err)
	}
	if c := res.Signature.Certificate; c != nil {
		info.CertSubject, info.CertIssuer = c.SubjectAlternativeName, c.Extensions.Issuer
	}
	return nil
}

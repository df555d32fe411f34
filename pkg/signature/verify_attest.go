package signature

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"oras.land/oras-go/v2/errdef"
)

// Attestation is one attestation of a subject that verified under the policy's keys or identity.
type Attestation struct {
	// SignatureInfo says who signed it and where it is stored (Manifest: the bundle referrer or the
	// ".att" manifest).
	SignatureInfo
	PredicateType string `json:"predicateType"`
	// Statement is the signed in-toto statement (the DSSE payload), its subject checked against the
	// artifact's digest.
	Statement []byte `json:"-"`
}

// Attestations is what VerifyAttestations found.
type Attestations struct {
	// Valid are the attestations of the asked predicate type that verified for the subject.
	Valid []Attestation
	// Invalid says why the other attestations of that type were refused (another key, another digest),
	// at most a few.
	Invalid []string
	// Unreadable says which listed attestations could not be fetched.
	Unreadable []string
}

const maxReasons = 3

// VerifyAttestations finds the attestations of subject whose predicate type is predicateType, in
// both of cosign's forms (Sigstore bundle referrers and "sha256-<hex>.att" layers) and in every
// source of store, and verifies each under the verifier's keys or keyless identity: the DSSE
// signature, and the statement's subject against subject's digest. An insecureAcceptUnsigned
// verifier has nothing to verify attestations with and returns ErrNoTrust.
func (v *Verifier) VerifyAttestations(ctx context.Context, store Store, subject ocispec.Descriptor, predicateType string) (*Attestations, error) {
	if v.insecure {
		return nil, fmt.Errorf("verifying attestations: %w", ErrNoTrust)
	}
	out := &Attestations{}
	seen := map[digest.Digest]bool{}
	answered := 0
	var errs []error
	for _, src := range sourcesOf(store) {
		refs, err := attestationManifests(ctx, src.Store, subject, predicateType, v.maxCandidates)
		if err != nil {
			errs = append(errs, sourceError(src, err))
			continue
		}
		answered++
		for _, m := range refs {
			if seen[m.desc.Digest] {
				continue
			}
			seen[m.desc.Digest] = true
			v.checkAttestationManifest(ctx, store, subject, predicateType, m, out)
		}
	}
	if answered == 0 {
		return nil, fmt.Errorf("listing attestations of %s: %w", subject.Digest, errors.Join(errs...))
	}
	return out, nil
}

// attestationManifest is a bundle referrer or a legacy ".att" manifest.
type attestationManifest struct {
	desc   ocispec.Descriptor
	legacy bool
}

// attestationManifests lists the subject's bundle referrers that may hold predicateType (declared by
// the annotation, or undeclared), then its ".att" manifest.
func attestationManifests(ctx context.Context, store Store, subject ocispec.Descriptor, predicateType string, max int) ([]attestationManifest, error) {
	refs, err := referrers(ctx, store, subject, max)
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, fmt.Errorf("listing referrers: %w", err)
	}
	var out []attestationManifest
	for _, r := range refs {
		if r.ArtifactType == SignatureArtifactType {
			continue
		}
		if p, ok := r.Annotations[BundlePredicateTypeAnno]; ok && p != predicateType {
			continue
		}
		out = append(out, attestationManifest{desc: r})
	}
	tag := AttestationTag(subject.Digest)
	desc, err := store.Resolve(ctx, tag)
	switch {
	case errors.Is(err, errdef.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("resolving %s: %w", tag, err)
	default:
		out = append(out, attestationManifest{desc: desc, legacy: true})
	}
	return out, nil
}

func (v *Verifier) checkAttestationManifest(ctx context.Context, store Store, subject ocispec.Descriptor, predicateType string, m attestationManifest, out *Attestations) {
	var bundles []*sgbundle.Bundle
	var err error
	if m.legacy {
		bundles, err = legacyAttestations(ctx, store, m.desc, predicateType, v.maxCandidates)
	} else {
		var b *sgbundle.Bundle
		if b, err = fetchBundle(ctx, store, subject, m.desc); err == nil {
			bundles = []*sgbundle.Bundle{b}
		}
	}
	var inv *invalidError
	switch {
	case errors.As(err, &inv):
		out.addInvalid(fmt.Sprintf("%s: %v", m.desc.Digest, err))
		return
	case err != nil:
		out.Unreadable = append(out.Unreadable, fmt.Sprintf("%s: %v", m.desc.Digest, err))
		return
	}
	format := FormatBundle
	if m.legacy {
		format = FormatLegacy
	}
	for _, b := range bundles {
		info := SignatureInfo{Format: format, Manifest: m.desc.Digest}
		res, err := v.verifyBundle(b, subject, &info)
		if err != nil {
			out.addInvalid(fmt.Sprintf("%s attestation %s: %v (verified with %s)", format, m.desc.Digest, err, v.describe()))
			continue
		}
		if res.Statement == nil || res.Statement.GetPredicateType() != predicateType {
			continue // another kind of attestation, or a signature bundle
		}
		out.Valid = append(out.Valid, Attestation{SignatureInfo: info, PredicateType: predicateType,
			Statement: b.GetDsseEnvelope().GetPayload()})
	}
}

func (a *Attestations) addInvalid(reason string) {
	if len(a.Invalid) < maxReasons {
		a.Invalid = append(a.Invalid, reason)
	}
}

// legacyAttestations reads the DSSE layers of predicateType in a ".att" manifest and reframes each
// as a Sigstore bundle (public-key hint, or the certificate annotation), so bundles and legacy
// attestations pass the same checks.
func legacyAttestations(ctx context.Context, store Store, desc ocispec.Descriptor, predicateType string, limit int) ([]*sgbundle.Bundle, error) {
	mb, err := fetchLimited(ctx, store, desc, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, invalid("decoding attestation manifest %s: %w", desc.Digest, err)
	}
	var out []*sgbundle.Bundle
	for _, l := range m.Layers {
		if len(out) == limit {
			break
		}
		if l.MediaType != DSSEMediaType || (l.Annotations[PredicateTypeAnnotation] != "" && l.Annotations[PredicateTypeAnnotation] != predicateType) {
			continue
		}
		eb, err := fetchLimited(ctx, store, l, MaxBlobSize)
		if err != nil {
			return nil, err
		}
		b, err := dsseBundle(eb, l.Annotations[CertificateAnnotation])
		if err != nil {
			return nil, invalid("attestation layer %s: %w", l.Digest, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// envelope is a DSSE envelope as JSON.
// Reference: https://github.com/secure-systems-lab/dsse/blob/master/envelope.md
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	} `json:"signatures"`
}

func dsseBundle(raw []byte, certPEM string) (*sgbundle.Bundle, error) {
	var e envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("decoding DSSE envelope: %w", err)
	}
	payload, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil || len(e.Signatures) == 0 {
		return nil, errors.New("DSSE envelope without payload or signature")
	}
	pe := &protodsse.Envelope{Payload: payload, PayloadType: e.PayloadType}
	for _, s := range e.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			return nil, fmt.Errorf("DSSE signature: %w", err)
		}
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: sig, Keyid: s.KeyID})
	}
	vm := &protobundle.VerificationMaterial{Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}}}
	if certPEM != "" {
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(certPEM))
		if err != nil || len(certs) == 0 {
			return nil, fmt.Errorf("malformed %s annotation", CertificateAnnotation)
		}
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: certs[0].Raw}}
	}
	return sgbundle.NewBundle(&protobundle.Bundle{MediaType: BundleMediaType, VerificationMaterial: vm,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: pe}})
}

// ReadAttestations returns the statements of subject's attestations of predicateType WITHOUT
// verifying them (Attestation.KeyID and the certificate fields stay empty): for display (inspect),
// never for a decision. Unreadable attestations are skipped.
func ReadAttestations(ctx context.Context, store Store, subject ocispec.Descriptor, predicateType string) ([]Attestation, error) {
	ms, err := attestationManifests(ctx, store, subject, predicateType, MaxCandidates)
	if err != nil {
		return nil, err
	}
	var out []Attestation
	for _, m := range ms {
		var bundles []*sgbundle.Bundle
		format := FormatBundle
		if m.legacy {
			format = FormatLegacy
			bundles, _ = legacyAttestations(ctx, store, m.desc, predicateType, MaxCandidates)
		} else if b, err := fetchBundle(ctx, store, subject, m.desc); err == nil {
			bundles = []*sgbundle.Bundle{b}
		}
		for _, b := range bundles {
			payload := b.GetDsseEnvelope().GetPayload()
			var st struct {
				PredicateType string `json:"predicateType"`
			}
			if json.Unmarshal(payload, &st) != nil || st.PredicateType != predicateType {
				continue
			}
			out = append(out, Attestation{SignatureInfo: SignatureInfo{Format: format, Manifest: m.desc.Digest},
				PredicateType: predicateType, Statement: payload})
		}
	}
	return out, nil
}

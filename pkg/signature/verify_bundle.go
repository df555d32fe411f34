package signature

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/types/known/structpb"
	"oras.land/oras-go/v2/errdef"
)

// listReferrers lists at most max of the subject's referrers (referrers API, the referrers tag
// schema, or a store's predecessors) and sorts out Sigstore bundles and cosign OCI 1.1 signature
// manifests. Referrers are listed unfiltered because some registries (go-containerregistry's among
// them) report the config media type as artifactType, which for cosign's bundles is the empty
// descriptor's; those stay bundle candidates after the ones that declare the bundle type.
func listReferrers(ctx context.Context, store Store, subject ocispec.Descriptor, max int) (bundles, sigs, notations []ocispec.Descriptor, err error) {
	refs, err := referrers(ctx, store, subject, max)
	if err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, nil, nil, fmt.Errorf("listing referrers of %s: %w", subject.Digest, err)
	}
	var undeclared []ocispec.Descriptor
	for _, r := range refs {
		switch r.ArtifactType {
		case BundleMediaType:
			bundles = append(bundles, r)
		case "", ocispec.MediaTypeEmptyJSON:
			undeclared = append(undeclared, r)
		case SignatureArtifactType:
			sigs = append(sigs, r)
		case NotationArtifactType:
			notations = append(notations, r)
		}
	}
	return append(bundles, undeclared...), sigs, notations, nil
}

func (v *Verifier) bundleCandidate(store Store, subject, ref ocispec.Descriptor, upstream bool) candidate {
	return candidate{format: FormatBundle, upstream: upstream, check: func(ctx context.Context) (*SignatureInfo, error) {
		return v.checkBundle(ctx, store, subject, ref)
	}}
}

func (v *Verifier) checkBundle(ctx context.Context, store Store, subject, ref ocispec.Descriptor) (*SignatureInfo, error) {
	b, err := fetchBundle(ctx, store, subject, ref)
	if err != nil {
		return nil, err
	}
	info := &SignatureInfo{Manifest: ref.Digest}
	res, err := v.verifyBundle(b, subject, info)
	if err != nil {
		return nil, invalid("bundle %s: %w", ref.Digest, err)
	}
	return info, bindings(res, info)
}

// verifyBundle checks b for subject under the verifier's keys or keyless identity and records who
// signed in info.
func (v *Verifier) verifyBundle(b *sgbundle.Bundle, subject ocispec.Descriptor, info *SignatureInfo) (*verify.VerificationResult, error) {
	artifact := verify.WithArtifactDigest(subject.Digest.Algorithm().String(), digestBytes(subject))
	var res *verify.VerificationResult
	var err error
	if v.keyless != nil {
		policy := verify.NewPolicy(artifact, verify.WithCertificateIdentity(v.keyless.identity))
		res, err = verifyBundleWith(b, v.keyless.trusted, v.keyless.options, policy)
	} else {
		policy := verify.NewPolicy(artifact, verify.WithKey())
		err = ErrNoTrust
		for _, k := range v.keys {
			if res, err = verifyBundleWith(b, keyMaterial(k), []verify.VerifierOption{verify.WithNoObserverTimestamps()}, policy); err == nil {
				info.KeyID, info.KeySource = k.ID, k.Source
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if c := res.Signature.Certificate; c != nil {
		info.CertSubject, info.CertIssuer = c.SubjectAlternativeName, c.Extensions.Issuer
	}
	return res, nil
}

func fetchBundle(ctx context.Context, store Store, subject, ref ocispec.Descriptor) (*sgbundle.Bundle, error) {
	mb, err := fetchLimited(ctx, store, ref, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, invalid("decoding bundle manifest %s: %w", ref.Digest, err)
	}
	if m.Subject == nil || m.Subject.Digest != subject.Digest {
		return nil, invalid("bundle manifest %s does not refer to %s", ref.Digest, subject.Digest)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != BundleMediaType {
		return nil, invalid("bundle manifest %s: want exactly one %s layer", ref.Digest, BundleMediaType)
	}
	bb, err := fetchLimited(ctx, store, m.Layers[0], MaxBlobSize)
	if err != nil {
		return nil, err
	}
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(bb); err != nil {
		return nil, invalid("decoding bundle %s: %w", ref.Digest, err)
	}
	return &b, nil
}

func verifyBundleWith(b *sgbundle.Bundle, tm root.TrustedMaterial, opts []verify.VerifierOption, policy verify.PolicyBuilder) (*verify.VerificationResult, error) {
	sv, err := verify.NewVerifier(tm, opts...)
	if err != nil {
		return nil, err
	}
	return sv.Verify(b, policy)
}

// keyMaterial trusts exactly one key, whatever hint the bundle names.
func keyMaterial(k *PublicKey) root.TrustedMaterial {
	ek := root.NewExpiringKey(k.verifier, time.Time{}, time.Time{})
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return ek, nil })
}

// bindings reads the signed statement: only cosign's signature predicate counts (an attestation
// of another kind by the same key is not a signature of the artifact), and its predicate may
// carry the tag binding and annotations.
func bindings(res *verify.VerificationResult, info *SignatureInfo) error {
	st := res.Statement
	if st == nil { // a message-signature bundle: digest only, no binding
		return nil
	}
	if st.GetPredicateType() != CosignSignPredicateType {
		return invalid("bundle %s: predicate type %q is not a signature (%s)", info.Manifest, st.GetPredicateType(), CosignSignPredicateType)
	}
	for k, val := range st.GetPredicate().GetFields() {
		sv, ok := val.GetKind().(*structpb.Value_StringValue)
		if !ok {
			continue
		}
		if info.Annotations == nil {
			info.Annotations = map[string]string{}
		}
		info.Annotations[k] = sv.StringValue
	}
	info.BoundTag = info.Annotations[TagAnnotation]
	if subjects := st.GetSubject(); len(subjects) > 0 {
		info.SignedRepository = subjects[0].GetName()
	}
	return nil
}

func digestBytes(d ocispec.Descriptor) []byte {
	b, _ := hex.DecodeString(d.Digest.Encoded())
	return b
}

package signature

import (
	"bytes"
	"context"
	"fmt"

	intotov1 "github.com/in-toto/attestation/go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"oras.land/oras-go/v2"
)

// signBundle mirrors cosign's signDigestBundle (cmd/cosign/cli/sign/sign.go, v2.6.5) and
// WriteAttestationNewBundleFormat (pkg/oci/remote/write.go), adding the statement's subject name
// and predicate as the carrier of the tag binding.
func signBundle(ctx context.Context, target oras.Target, s *Signer, repository string, subject ocispec.Descriptor, o *signOptions) (ocispec.Descriptor, error) {
	payload, err := statement(repository, subject, o.signedAnnotations())
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return attestBundle(ctx, target, s, subject, CosignSignPredicateType, payload)
}

// statement is the in-toto statement cosign signs, with the tag binding and annotations as its
// predicate.
func statement(repository string, subject ocispec.Descriptor, annotations map[string]string) ([]byte, error) {
	st := &intotov1.Statement{
		Type: intotov1.StatementTypeUri,
		Subject: []*intotov1.ResourceDescriptor{{
			Name:   repository,
			Digest: map[string]string{subject.Digest.Algorithm().String(): subject.Digest.Encoded()},
		}},
		PredicateType: CosignSignPredicateType,
	}
	if len(annotations) > 0 {
		fields := make(map[string]any, len(annotations))
		for k, v := range annotations {
			fields[k] = v
		}
		p, err := structpb.NewStruct(fields)
		if err != nil {
			return nil, fmt.Errorf("encoding signed annotations: %w", err)
		}
		st.Predicate = p
	}
	return protojson.Marshal(st)
}

// bundle signs payload as a DSSE envelope and wraps it in a Sigstore bundle v0.3 with the
// public key hint or the certificate as verification material.
func (s *Signer) bundle(ctx context.Context, payload []byte) ([]byte, error) {
	envelope, err := dsse.WrapSigner(s.sv, inTotoPayloadType).SignMessage(bytes.NewReader(payload), sigopts.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	pub, err := s.sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	signerPEM := s.cert
	if signerPEM == nil {
		if signerPEM, err = cryptoutils.MarshalPublicKeyToPEM(pub); err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
	}
	b, err := cbundle.MakeNewBundle(pub, nil, payload, envelope, signerPEM, nil)
	if err != nil {
		return nil, fmt.Errorf("making bundle: %w", err)
	}
	return b, nil
}

package signature

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/notaryproject/notation-go"
	notationregistry "github.com/notaryproject/notation-go/registry"
	notationsigner "github.com/notaryproject/notation-go/signer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
)

// NewNotationSigner signs Notary Project signatures with key and its certificate chain (leaf
// first), through notation-go's generic signer, as `notation sign --key` does with a local key.
func NewNotationSigner(key crypto.PrivateKey, chain []*x509.Certificate) (*Signer, error) {
	ns, err := notationsigner.NewGenericSigner(key, chain)
	if err != nil {
		return nil, fmt.Errorf("notation signer: %w", err)
	}
	return &Signer{notation: ns}, nil
}

// LoadNotationSigner reads an unencrypted PEM private key and the PEM certificate chain issued
// for it (leaf first).
func LoadNotationSigner(keyPath, certPath string) (*Signer, error) {
	ns, err := notationsigner.NewGenericSignerFromFiles(keyPath, certPath)
	if err != nil {
		return nil, fmt.Errorf("loading notation key %s and certificate %s (an unencrypted PEM key and the PEM chain issued for it, leaf first): %w", keyPath, certPath, err)
	}
	return &Signer{notation: ns}, nil
}

// WithEnvelope selects the Notation envelope, NotationJWSMediaType (the default, as `notation
// sign`) or NotationCOSEMediaType.
func WithEnvelope(mediaType string) SignOption {
	return func(o *signOptions) { o.envelope = mediaType }
}

// signNotation signs subject with notation.Sign, which writes the signature as `notation sign`
// does: an OCI 1.1 image manifest with config media type NotationArtifactType, one envelope layer,
// the subject, and the certificate thumbprints and signing time as annotations; oras-go keeps the
// referrers tag schema on registries without the referrers API. The tag binding and repository go
// into the signed descriptor's annotations (Notation's user metadata).
func signNotation(ctx context.Context, target oras.Target, s *Signer, repository string, subject ocispec.Descriptor, o *signOptions) (ocispec.Descriptor, error) {
	gt, ok := target.(oras.GraphTarget)
	if !ok {
		return ocispec.Descriptor{}, fmt.Errorf("notation signature: %T cannot store referrers", target)
	}
	envelope := o.envelope
	if envelope == "" {
		envelope = NotationJWSMediaType
	}
	md := o.signedAnnotations()
	if md == nil {
		md = map[string]string{}
	}
	md[RepositoryAnnotation] = repository
	repo := &capturingRepository{Repository: notationregistry.NewRepository(gt)}
	_, err := notation.Sign(ctx, s.notation, repo, notation.SignOptions{
		SignerSignOptions: notation.SignerSignOptions{SignatureMediaType: envelope},
		ArtifactReference: subject.Digest.String(),
		UserMetadata:      md,
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("signing %s@%s with notation: %w", repository, subject.Digest, err)
	}
	return repo.manifest, nil
}

// capturingRepository records the signature manifest notation.Sign pushes.
type capturingRepository struct {
	notationregistry.Repository
	manifest ocispec.Descriptor
}

func (r *capturingRepository) PushSignature(ctx context.Context, mediaType string, blob []byte, subject ocispec.Descriptor, annotations map[string]string) (ocispec.Descriptor, ocispec.Descriptor, error) {
	b, m, err := r.Repository.PushSignature(ctx, mediaType, blob, subject, annotations)
	r.manifest = m
	return b, m, err
}

// fits refuses a cosign key for the notation format and a notation key for cosign's formats.
func (s *Signer) fits(f Format) error {
	switch {
	case f == FormatNotation && s.notation == nil:
		return errors.New("signing in the notation format needs a key with its certificate chain (LoadNotationSigner, --cert), not a cosign key")
	case f != FormatNotation && s.notation != nil:
		return fmt.Errorf("a notation signer (key and certificate) signs only the %s format, not %s", FormatNotation, f)
	}
	return nil
}

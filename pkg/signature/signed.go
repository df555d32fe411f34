package signature

import (
	"context"
	"io"
	"log/slog"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Signed looks in store for a valid signature by signer's own key, in format, that binds tag to
// subject for repository, and returns its manifest digest, so that a command asked to sign what is
// signed already can write nothing (signing again would add a duplicate: another bundle referrer, or
// another layer on the .sig manifest). ok is false when there is none, when it cannot be read, or
// when signer is not a plain key (a certificate or Notation signer always signs again).
func Signed(ctx context.Context, store Store, signer *Signer, repository string, subject ocispec.Descriptor, tag string, format Format) (digest.Digest, bool) {
	if signer == nil || signer.sv == nil || signer.cert != nil || tag == "" {
		return "", false
	}
	pub, err := signer.sv.PublicKey()
	if err != nil {
		return "", false
	}
	pemBytes, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return "", false
	}
	key, err := ParsePublicKey(pemBytes, "the signing key")
	if err != nil {
		return "", false
	}
	v := &Verifier{keys: []*PublicKey{key}, maxCandidates: MaxCandidates, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	res, err := v.VerifyDescriptor(ctx, store, repository, subject, tag)
	if err != nil {
		return "", false
	}
	for _, s := range res.Signatures {
		if s.Format == format && s.KeyID == key.ID && s.BoundTag == tag && repositoryPath(s.SignedRepository) == repositoryPath(repository) {
			return s.Manifest, true
		}
	}
	return "", false
}

package signature_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// A message-signature bundle (no statement) over the manifest bytes verifies by digest but binds
// no tag.
func TestMessageSignatureBundle(t *testing.T) {
	ctx := context.Background()
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			e := newTamperEnv(t, kind, kp)
			manifest := fetch(t, e.repo, e.a)
			sv, err := cosign.LoadPrivateKey(kp.PrivPEM, kp.Pass, nil)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := sv.SignMessage(bytes.NewReader(manifest))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(manifest)
			b, err := protojson.Marshal(&protobundle.Bundle{
				MediaType: signature.BundleMediaType,
				VerificationMaterial: &protobundle.VerificationMaterial{Content: &protobundle.VerificationMaterial_PublicKey{
					PublicKey: &protocommon.PublicKeyIdentifier{Hint: "k"}}},
				Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
					MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: sum[:]},
					Signature:     sig,
				}},
			})
			if err != nil {
				t.Fatal(err)
			}
			e.putBundle(t, e.a, b)
			v := keyVerifier(t, nil, kp.Pub)
			res, err := v.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, e.a.Digest.String())
			if err != nil || res.Signatures[0].Format != signature.FormatBundle || res.Signatures[0].BoundTag != "" {
				t.Fatalf("Verify(digest) = %+v, %v", res, err)
			}
			// No signature binds any tag (as with plain `cosign sign`): refused by tag by default, accepted
			// (unbound, with a warning) when the policy sets allowUnboundTags.
			if _, err := v.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, "1.0"); !errors.Is(err, signature.ErrTagNotBound) || signature.ExitCode(err) != 12 {
				t.Fatalf("Verify(tag) = %v, want ErrTagNotBound (exit 12)", err)
			}
			lenient, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{kp.Pub}, AllowUnboundTags: true})
			if err != nil {
				t.Fatal(err)
			}
			if res, err := lenient.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, "1.0"); err != nil || res.TagBound {
				t.Fatalf("Verify(tag) with allowUnboundTags = %+v, %v; want accepted without a binding", res, err)
			}
			// The same bundle under B (another digest) is refused.
			e.putBundle(t, e.b, b)
			if _, err := v.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, e.b.Digest.String()); signature.ExitCode(err) != 12 {
				t.Fatalf("Verify(B) = %v, want exit 12", err)
			}
		})
	}
}

package signature

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	coresig "github.com/notaryproject/notation-core-go/signature"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/gitless-dev/gitless/pkg/config"
)

const notaryDir = "testdata/notary"

// notaryEnvelope reads an envelope of testdata/notary and the descriptor its payload signs.
func notaryEnvelope(t *testing.T, name string) (string, []byte, ocispec.Descriptor, *coresig.EnvelopeContent) {
	t.Helper()
	mt := NotationJWSMediaType
	if strings.HasPrefix(name, "cose") || name == "timestampAfterNotAfter.sig" {
		mt = NotationCOSEMediaType
	}
	b, err := os.ReadFile(filepath.Join(notaryDir, name))
	if err != nil {
		t.Fatal(err)
	}
	env, err := coresig.ParseEnvelope(mt, b)
	if err != nil {
		t.Fatal(err)
	}
	c, err := env.Content()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		TargetArtifact ocispec.Descriptor `json:"targetArtifact"`
	}
	if err := json.Unmarshal(c.Payload.Content, &p); err != nil {
		t.Fatal(err)
	}
	return mt, b, p.TargetArtifact, c
}

// ownCertificate writes the self-signed certificate an envelope carries, for a trust store that
// trusts exactly it (as notation-go's tests trust their test roots).
func ownCertificate(t *testing.T, c *coresig.EnvelopeContent) string {
	t.Helper()
	pem, err := cryptoutils.MarshalCertificateToPEM(c.SignerInfo.CertificateChain[len(c.SignerInfo.CertificateChain)-1])
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(path, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNotaryMadeEnvelopes: envelopes made by the Notary Project's tools for notation-go's own tests
// are accepted and refused by gitless for the reasons notation-go's tests give.
func TestNotaryMadeEnvelopes(t *testing.T) {
	alpine := filepath.Join(notaryDir, "TestTimestamp.crt") // CN=alpine, the signer of the timestamp envelopes
	alpineID := "x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine"
	cases := []struct {
		name     string
		envelope string
		trust    func(c *coresig.EnvelopeContent) config.Notation
		other    bool   // verify against another digest than the one signed
		want     string // empty: accepted
	}{
		{"jws with timestamp", "jwsWithTimestamp.sig", func(*coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{alpine}, TrustedIdentities: []string{alpineID}}
		}, false, ""},
		{"cose with timestamp", "coseWithTimestamp.sig", func(*coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{alpine}, TrustedIdentities: []string{"*"},
				TimestampCertificates: []string{filepath.Join(notaryDir, "globalsignRoot.cer")}}
		}, false, ""},
		{"jws without timestamp", "withoutTimestamp.sig", func(*coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{alpine}, TrustedIdentities: []string{"*"}}
		}, false, ""},
		// The timestamp of this envelope is GlobalSign's, whose certificate names an OCSP responder:
		// strict verification asks it, and offline (as here) its answer is unknown, which strict refuses.
		{"expired certificate, timestamp trusted, offline", "coseExpiredWithTimestamp.sig", func(c *coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{ownCertificate(t, c)}, TrustedIdentities: []string{"*"},
				TimestampCertificates: []string{filepath.Join(notaryDir, "globalsignRoot.cer")}}
		}, false, "revocation status is unknown"},
		{"jws of notation_test.go", "jws_signature.sig", func(c *coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{ownCertificate(t, c)}, TrustedIdentities: []string{alpineID}}
		}, false, ""},
		{"cose of notation_test.go", "cose_signature.sig", func(c *coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{ownCertificate(t, c)}, TrustedIdentities: []string{"*"}}
		}, false, ""},
		{"untrusted root", "jwsWithTimestamp.sig", func(*coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{filepath.Join(notaryDir, "wabbit-networks.io.crt")}, TrustedIdentities: []string{"*"}}
		}, false, "authenticity check failed: the signature's certificate chain does not contain any trusted certificate"},
		{"identity not trusted", "coseWithTimestamp.sig", func(*coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{alpine}, TrustedIdentities: []string{"x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=wabbit-networks.io"}}
		}, false, "does not match the X.509 trusted identities"},
		{"another digest", "coseWithTimestamp.sig", func(*coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{alpine}, TrustedIdentities: []string{"*"}}
		}, true, "content descriptor mismatch"},
		{"expired certificate, no timestamp trust", "jwsExpiredWithTimestamp.sig", func(c *coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{ownCertificate(t, c)}, TrustedIdentities: []string{"*"}}
		}, false, "expired"},
		{"timestamp after the TSA certificate's expiry", "timestampAfterNotAfter.sig", func(c *coresig.EnvelopeContent) config.Notation {
			return config.Notation{Certificates: []string{ownCertificate(t, c)}, TrustedIdentities: []string{"*"},
				TimestampCertificates: []string{filepath.Join(notaryDir, "globalsignRoot.cer")}}
		}, false, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mt, env, target, content := notaryEnvelope(t, c.envelope)
			n := c.trust(content)
			if err := n.Validate(); err != nil {
				t.Fatal(err)
			}
			nt, err := newNotationTrust(&n, func(string) {})
			if err != nil {
				t.Fatal(err)
			}
			if c.other {
				target.Digest = digest.FromString("another manifest")
			}
			info, err := nt.check(context.Background(), target, mt, env)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("check = %v, want accepted", err)
			case c.want == "" && !strings.Contains(info.CertSubject, "O=Notary"):
				t.Fatalf("signer = %q", info.CertSubject)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("check = %v, want %q", err, c.want)
			}
			t.Logf("%s: %v", c.envelope, err)
		})
	}
}

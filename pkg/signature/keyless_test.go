package signature_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// oidIssuerV2 is Fulcio's OIDC issuer extension (1.3.6.1.4.1.57264.1.8), a DER UTF8String.
// oidIssuerV1 is its deprecated raw-string predecessor, which Fulcio still writes.
var (
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name, Organization: []string{"gitless test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

// issue makes a short-lived code-signing leaf for an email identity and OIDC issuer, as Fulcio
// would, and returns a signer carrying it.
func (ca *testCA) issue(t *testing.T, email, issuer string) *signature.Signer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss, _ := asn1.MarshalWithParams(issuer, "utf8")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		EmailAddresses: []string{email}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuerV1, Value: []byte(issuer)}, {Id: oidIssuerV2, Value: iss}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	leafPEM, _ := cryptoutils.MarshalCertificateToPEM(leaf)
	rootPEM, _ := cryptoutils.MarshalCertificateToPEM(ca.cert)
	sv, err := sigsig.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return signature.NewSigner(sv, signature.WithCertificate(leafPEM, rootPEM))
}

// writeTrustedRoot writes a trusted_root.json whose only authority is ca (no logs, no TSA).
func writeTrustedRoot(t *testing.T, ca *testCA) string {
	t.Helper()
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{&root.FulcioCertificateAuthority{
		Root: ca.cert, ValidityPeriodStart: time.Now().Add(-time.Hour), URI: "https://fulcio.test",
	}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKeyless(t *testing.T) {
	ctx := context.Background()
	const issuer, email = "https://issuer.example", "ci@example.com"
	ca, rogue := newTestCA(t, "test fulcio"), newTestCA(t, "rogue")
	rootFile := writeTrustedRoot(t, ca)
	good, untrusted := ca.issue(t, email, issuer), rogue.issue(t, email, issuer)
	tests := []struct {
		name    string
		signer  *signature.Signer
		keyless config.Keyless
		want    error
	}{
		{"exact identity", good, config.Keyless{Issuer: issuer, Subject: email}, nil},
		{"regexp identity", good, config.Keyless{IssuerRegExp: `^https://issuer\.example$`, SubjectRegExp: `@example\.com$`}, nil},
		{"subject mismatch", good, config.Keyless{Issuer: issuer, Subject: "someone@example.com"}, signature.ErrNoValidSignature},
		{"issuer mismatch", good, config.Keyless{Issuer: "https://other.example", SubjectRegExp: ".*"}, signature.ErrNoValidSignature},
		{"certificate from an untrusted CA", untrusted, config.Keyless{Issuer: issuer, Subject: email}, signature.ErrNoValidSignature},
	}
	for _, kind := range testregistry.Kinds {
		for _, format := range formats {
			for _, tt := range tests {
				t.Run(string(kind)+"/"+string(format)+"/"+tt.name, func(t *testing.T) {
					reg := testregistry.New(t, kind)
					repo, repository := newRepo(t, reg, "apps/web")
					desc := pushArtifact(t, repo, "1.0", "keyless")
					if _, err := signature.Sign(ctx, repo, tt.signer, repository, desc, signature.WithFormat(format), signature.WithTag("1.0")); err != nil {
						t.Fatal(err)
					}
					kl := tt.keyless
					kl.TrustedRoot = rootFile
					v, err := signature.NewVerifier(&config.Policy{Match: "**", Keyless: &kl})
					if err != nil {
						t.Fatal(err)
					}
					res, err := v.Verify(ctx, fresh(t, repository), repository, "1.0")
					if !errors.Is(err, tt.want) || (err != nil && signature.ExitCode(err) != 12) {
						t.Fatalf("Verify() = %+v, %v; want %v", res, err, tt.want)
					}
					if err == nil && (res.Signatures[0].CertSubject != email || res.Signatures[0].CertIssuer != issuer || !res.TagBound) {
						t.Fatalf("result = %+v", res.Signatures[0])
					}
					t.Log(err)
				})
			}
		}
	}
}

func TestKeylessNeedsTrustedRoot(t *testing.T) {
	_, err := signature.NewVerifier(&config.Policy{Match: "**", Keyless: &config.Keyless{Issuer: "i", Subject: "s"}})
	if err == nil {
		t.Fatal("keyless without a trusted root must be refused")
	}
}

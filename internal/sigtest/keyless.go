package sigtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"

	"github.com/gitless-dev/gitless/pkg/signature"
)

// oidIssuerV2 is Fulcio's OIDC issuer extension (1.3.6.1.4.1.57264.1.8), a DER UTF8String.
// oidIssuerV1 is its deprecated raw-string predecessor, which Fulcio still writes and cosign's
// legacy path reads.
var (
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
)

// CA is an offline stand-in for Fulcio: a self-signed root that issues code-signing leaves.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA makes a CA whose root certificate has the common name name.
func NewCA(t testing.TB, name string) *CA {
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
	return &CA{Cert: cert, Key: key}
}

// Leaf is a code-signing certificate issued by a CA, with its key and a signer carrying it.
type Leaf struct {
	Signer   *signature.Signer
	CertPEM  []byte // the leaf certificate
	ChainPEM []byte // the CA's root certificate
	KeyPEM   []byte // the leaf's private key, unencrypted PKCS #8
}

// Issue makes a short-lived code-signing leaf for an email identity and OIDC issuer, as Fulcio
// would.
func (ca *CA) Issue(t testing.TB, email, issuer string) *Leaf {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss, _ := asn1.MarshalWithParams(issuer, "utf8")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		EmailAddresses: []string{email}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuerV1, Value: []byte(issuer)}, {Id: oidIssuerV2, Value: iss}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	l := &Leaf{}
	l.CertPEM, _ = cryptoutils.MarshalCertificateToPEM(cert)
	l.ChainPEM, _ = cryptoutils.MarshalCertificateToPEM(ca.Cert)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	l.KeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	sv, err := sigsig.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	l.Signer = signature.NewSigner(sv, signature.WithCertificate(l.CertPEM, l.ChainPEM))
	return l
}

// WriteTrustedRoot writes dir/trusted_root.json, whose only authority is ca (no logs, no TSA),
// and returns its path.
func (ca *CA) WriteTrustedRoot(t testing.TB, dir string) string {
	t.Helper()
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{&root.FulcioCertificateAuthority{
		Root: ca.Cert, ValidityPeriodStart: time.Now().Add(-time.Hour), URI: "https://fulcio.test",
	}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

package sigtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// NotationLeaf is a certificate that meets the Notary Project's requirements for signing (key
// usage digitalSignature, extended key usage codeSigning, a subject with C, ST and O), issued by
// a CA, written to files as `notation cert generate-test` would leave them.
type NotationLeaf struct {
	Subject string // the subject as trusted identities name it: "x509.subject: ..."
	KeyPath string // unencrypted PKCS #8 PEM key
	// CertPath holds the leaf then the CA's root (the chain notation signs with).
	CertPath string
	// RootPath holds the CA's root certificate alone (what a verifier trusts).
	RootPath string
}

// IssueNotation issues a leaf for organisation org (CN = org) valid from notBefore to notAfter and
// writes it with its chain, key and root under dir.
func (ca *CA) IssueNotation(t testing.TB, dir, org string, notBefore, notAfter time.Time) *NotationLeaf {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), NotBefore: notBefore, NotAfter: notAfter,
		Subject:     pkix.Name{Country: []string{"US"}, Province: []string{"WA"}, Organization: []string{org}, CommonName: org},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := cryptoutils.MarshalCertificateToPEM(&x509.Certificate{Raw: der})
	root, _ := cryptoutils.MarshalCertificateToPEM(ca.Cert)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	l := &NotationLeaf{
		Subject:  "x509.subject: C=US, ST=WA, O=" + org + ", CN=" + org,
		KeyPath:  filepath.Join(dir, org+".key"),
		CertPath: filepath.Join(dir, org+".crt"),
		RootPath: filepath.Join(dir, org+"-root.crt"),
	}
	for path, b := range map[string][]byte{
		l.KeyPath:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		l.CertPath: append(leaf, root...),
		l.RootPath: root,
	} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

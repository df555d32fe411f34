package interop

import (
	"context"
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

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

const (
	testIssuer   = "https://issuer.example"
	testIdentity = "ci@example.com"
)

// keylessFiles is an offline stand-in for Fulcio: a CA, a leaf certificate for testIdentity
// issued by testIssuer, and a trusted root naming only the CA.
type keylessFiles struct {
	leafKey, leafCert, chain, trustedRoot string
	signer                                *signature.Signer
}

func newKeylessFiles(t *testing.T) *keylessFiles {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test fulcio"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss, _ := asn1.MarshalWithParams(testIssuer, "utf8")
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		EmailAddresses: []string{testIdentity}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		// Both issuer extensions, as Fulcio writes them: cosign's legacy path reads the raw 1.1.
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}, Value: []byte(testIssuer)},
			{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}, Value: iss},
		},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	leafPEM, _ := cryptoutils.MarshalCertificateToPEM(leaf)
	caPEM, _ := cryptoutils.MarshalCertificateToPEM(ca)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{&root.FulcioCertificateAuthority{
		Root: ca, ValidityPeriodStart: time.Now().Add(-time.Hour), URI: "https://fulcio.test",
	}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	trJSON, _ := tr.MarshalJSON()
	f := &keylessFiles{
		leafKey: filepath.Join(dir, "leaf.key.pem"), leafCert: filepath.Join(dir, "leaf.pem"),
		chain: filepath.Join(dir, "chain.pem"), trustedRoot: filepath.Join(dir, "trusted_root.json"),
	}
	for path, b := range map[string][]byte{
		f.leafKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), f.leafCert: leafPEM,
		f.chain: caPEM, f.trustedRoot: trJSON,
	} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sv, err := sigsig.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	f.signer = signature.NewSigner(sv, signature.WithCertificate(leafPEM, caPEM))
	return f
}

// TestSignatureInteropKeyless checks certificate-based signatures both ways, offline: gitless
// signs with a CA-issued leaf and `cosign verify --certificate-identity ... --trusted-root`
// accepts; `cosign sign --certificate` signs and gitless verifies with a keyless policy.
func TestSignatureInteropKeyless(t *testing.T) {
	c := &cosignCLI{bin: cosignBin(t), home: t.TempDir()}
	ctx := context.Background()
	f := newKeylessFiles(t)
	const pass = "imported"
	prefix := filepath.Join(t.TempDir(), "imported")
	if out, err := c.run(t, pass, "import-key-pair", "--key", f.leafKey, "--output-key-prefix", prefix); err != nil {
		t.Fatalf("cosign import-key-pair: %v\n%s", err, out)
	}
	identity := flags("--certificate-identity", testIdentity, "--certificate-oidc-issuer", testIssuer,
		"--trusted-root", f.trustedRoot, "--insecure-ignore-tlog=true --insecure-ignore-sct=true", registryFlags)
	for _, kind := range testregistry.Kinds {
		for _, format := range []signature.Format{signature.FormatLegacy, signature.FormatBundle} {
			name := string(kind) + "/" + string(format)
			t.Run("gitless-sign/cosign-verify/"+name, func(t *testing.T) {
				reg := testregistry.New(t, kind)
				repository := reg.Host + "/apps/web"
				repo := newRepo(t, repository)
				desc := pushArtifact(t, repo, "1.0", name)
				if _, err := signature.Sign(ctx, repo, f.signer, repository, desc, signature.WithFormat(format), signature.WithTag("1.0")); err != nil {
					t.Fatal(err)
				}
				args := append([]string{"verify"}, identity...)
				if format == signature.FormatBundle {
					args = append(args, "--new-bundle-format")
				}
				if out, err := c.run(t, "", append(args, repository+"@"+desc.Digest.String())...); err != nil {
					t.Fatalf("cosign verify: %v\n%s", err, out)
				}
			})
			t.Run("cosign-sign/gitless-verify/"+name, func(t *testing.T) {
				reg := testregistry.New(t, kind)
				repository := reg.Host + "/apps/web"
				desc := pushArtifact(t, newRepo(t, repository), "1.0", name)
				args := flags("sign --key", prefix+".key", "--certificate", f.leafCert, "--certificate-chain", f.chain, "--tlog-upload=false -y", registryFlags)
				if format == signature.FormatBundle {
					args = append(args, "--new-bundle-format")
				}
				if out, err := c.run(t, pass, append(args, repository+"@"+desc.Digest.String())...); err != nil {
					t.Fatalf("cosign sign: %v\n%s", err, out)
				}
				v, err := signature.NewVerifier(&config.Policy{Match: "**", Keyless: &config.Keyless{
					Issuer: testIssuer, Subject: testIdentity, TrustedRoot: f.trustedRoot,
				}})
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Verify(ctx, newRepo(t, repository), repository, desc.Digest.String())
				if err != nil || res.Signatures[0].CertSubject != testIdentity || res.Signatures[0].Format != format {
					t.Fatalf("Verify = %+v, %v", res, err)
				}
			})
		}
	}
}

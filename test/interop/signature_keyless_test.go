package interop

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
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
	ca := sigtest.NewCA(t, "test fulcio")
	leaf := ca.Issue(t, testIdentity, testIssuer)
	f := &keylessFiles{
		leafKey: filepath.Join(dir, "leaf.key.pem"), leafCert: filepath.Join(dir, "leaf.pem"),
		chain: filepath.Join(dir, "chain.pem"), trustedRoot: ca.WriteTrustedRoot(t, dir), signer: leaf.Signer,
	}
	for path, b := range map[string][]byte{f.leafKey: leaf.KeyPEM, f.leafCert: leaf.CertPEM, f.chain: leaf.ChainPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
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
				repo, repository := sigtest.NewRepo(t, reg, "apps/web")
				desc := sigtest.PushArtifact(t, repo, "1.0", name)
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
				repo, repository := sigtest.NewRepo(t, reg, "apps/web")
				desc := sigtest.PushArtifact(t, repo, "1.0", name)
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
				res, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, desc.Digest.String())
				if err != nil || res.Signatures[0].CertSubject != testIdentity || res.Signatures[0].Format != format {
					t.Fatalf("Verify = %+v, %v", res, err)
				}
			})
		}
	}
}

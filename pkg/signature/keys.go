package signature

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/notaryproject/notation-go"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
)

// Signer signs with a private key, optionally with a certificate (keyless-style signing with a
// certificate issued for that key).
type Signer struct {
	sv    sigsig.SignerVerifier
	cert  []byte // PEM leaf certificate, or nil
	chain []byte // PEM intermediates and root, or nil
	// notation signs Notary Project envelopes (NewNotationSigner); sv is nil then.
	notation notation.Signer
}

// SignerOption configures NewSigner.
type SignerOption func(*Signer)

// WithCertificate attaches a PEM certificate for the signer's key and its PEM chain, so the
// signature carries the certificate (bundle verification material, or the legacy
// dev.sigstore.cosign/certificate annotation) instead of a public key hint.
func WithCertificate(certPEM, chainPEM []byte) SignerOption {
	return func(s *Signer) { s.cert, s.chain = certPEM, chainPEM }
}

// NewSigner wraps a sigstore SignerVerifier.
func NewSigner(sv sigsig.SignerVerifier, opts ...SignerOption) *Signer {
	s := &Signer{sv: sv}
	for _, o := range opts {
		o(s)
	}
	return s
}

// LoadSigner loads a cosign private key file (as written by `cosign generate-key-pair`, encrypted
// with password). Reading COSIGN_PASSWORD or prompting is the caller's business.
func LoadSigner(keyPath string, password []byte) (*Signer, error) {
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("reading private key: %w", err)
	}
	sv, err := cosign.LoadPrivateKey(b, password, nil)
	if err != nil {
		return nil, fmt.Errorf("loading private key %s (check the password): %w", keyPath, err)
	}
	return NewSigner(sv), nil
}

// GenerateKeyPair creates a cosign-compatible key pair: an encrypted PEM private key and a PEM
// public key, the same files `cosign generate-key-pair` writes.
func GenerateKeyPair(password []byte) (privatePEM, publicPEM []byte, err error) {
	keys, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, nil, fmt.Errorf("generating key pair: %w", err)
	}
	return keys.PrivateBytes, keys.PublicBytes, nil
}

// PublicKey is a trusted public key and where it came from.
type PublicKey struct {
	Key crypto.PublicKey
	// Source is the file the key was read from, for messages.
	Source string
	// ID is the hex SHA-256 of the key's PKIX DER encoding.
	ID       string
	verifier sigsig.Verifier
}

// ParsePublicKey parses one PEM public key.
func ParsePublicKey(pemBytes []byte, source string) (*PublicKey, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("parsing public key %s: %w", source, err)
	}
	// cosign's default load options (ED25519ph for ed25519) so cosign-made signatures verify.
	v, err := sigsig.LoadDefaultVerifier(pub, *cosign.GetDefaultLoadOptions(nil)...)
	if err != nil {
		return nil, fmt.Errorf("loading public key %s: %w", source, err)
	}
	return &PublicKey{Key: pub, Source: source, ID: keyID(pub), verifier: v}, nil
}

// LoadPublicKeys reads PEM public keys from files and directories (a directory contributes its
// *.pub and *.pem files, not recursively).
func LoadPublicKeys(paths ...string) ([]*PublicKey, error) {
	var keys []*PublicKey
	for _, p := range paths {
		files, err := keyFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("reading public key: %w", err)
			}
			k, err := ParsePublicKey(b, f)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

func keyFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading public keys: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("reading public keys: %w", err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".pub" || ext == ".pem") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("reading public keys: no *.pub or *.pem file in %s", path)
	}
	sort.Strings(files)
	return files, nil
}

func keyID(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

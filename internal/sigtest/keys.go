package sigtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gitless-dev/gitless/pkg/signature"
)

// KeyPair is a cosign key pair made by pkg/signature, written to disk and loaded as a signer.
type KeyPair struct {
	Signer  *signature.Signer
	Priv    string // path of the encrypted private key
	Pub     string // path of the PEM public key
	Pass    []byte // the private key's password
	PubPEM  []byte
	PrivPEM []byte
}

// NewKeyPair generates a key pair with signature.GenerateKeyPair and writes it to dir as
// name.key and name.pub.
func NewKeyPair(t testing.TB, dir, name string) *KeyPair {
	t.Helper()
	pass := []byte("test-password-" + name)
	priv, pub, err := signature.GenerateKeyPair(pass)
	if err != nil {
		t.Fatal(err)
	}
	kp := &KeyPair{Priv: filepath.Join(dir, name+".key"), Pub: filepath.Join(dir, name+".pub"), Pass: pass, PubPEM: pub, PrivPEM: priv}
	if err := os.WriteFile(kp.Priv, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp.Pub, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if kp.Signer, err = signature.LoadSigner(kp.Priv, pass); err != nil {
		t.Fatal(err)
	}
	return kp
}

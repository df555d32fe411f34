package options

import (
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/gitless-dev/gitless/pkg/signature"
)

// Signing are the flags of commands that sign: sign, and publish --sign.
type Signing struct {
	Key         string
	Format      string
	Annotations []string
	TlogUpload  string
	// Cert and Envelope are for the notation format: the certificate chain issued for Key, and
	// jws or cose.
	Cert     string
	Envelope string
}

// AddFlags registers the signing flags.
func (o *Signing) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Key, "key", "", "cosign private key file (password from COSIGN_PASSWORD, or a prompt on a terminal); with notation, an unencrypted PEM key")
	fs.StringVar(&o.Format, "signature-format", string(signature.FormatBundle),
		"bundle (Sigstore bundle as an OCI 1.1 referrer, cosign v3's default), legacy (sha256-<hex>.sig tag) or notation (Notary Project signature referrer, with --cert)")
	fs.StringVar(&o.Cert, "cert", "", "notation: PEM certificate chain issued for --key, leaf first")
	fs.StringVar(&o.Envelope, "notation-envelope", "jws", "notation: envelope format, jws or cose")
	fs.StringArrayVar(&o.Annotations, "signature-annotation", nil, "annotation key=value signed into the payload (repeatable)")
	fs.StringVar(&o.TlogUpload, "tlog-upload", "", "upload to this Rekor transparency log URL (default: no upload)")
}

// Validate checks the format.
func (o *Signing) Validate() error {
	if o.Key == "" {
		return Usagef("--key is required: a cosign private key (cosign generate-key-pair)")
	}
	switch signature.Format(o.Format) {
	case signature.FormatBundle, signature.FormatLegacy:
		if o.Cert != "" {
			return Usagef("--cert is for --signature-format notation (a cosign key carries no certificate here)")
		}
		return nil
	case signature.FormatNotation:
		if o.Cert == "" {
			return Usagef("--signature-format notation needs --cert: the PEM certificate chain issued for --key")
		}
		if o.Envelope != "jws" && o.Envelope != "cose" {
			return Usagef("unknown --notation-envelope %q: use jws or cose", o.Envelope)
		}
		return nil
	}
	return Usagef("unknown --signature-format %q: use bundle, legacy or notation", o.Format)
}

// Signer loads the key, reading the password from COSIGN_PASSWORD or prompting on errOut's terminal.
func (o *Signing) Signer(in io.Reader, errOut io.Writer) (*signature.Signer, error) {
	if err := privateKeyFile(o.Key); err != nil {
		return nil, err
	}
	if signature.Format(o.Format) == signature.FormatNotation {
		return signature.LoadNotationSigner(o.Key, o.Cert)
	}
	pw, err := Password(in, errOut)
	if err != nil {
		return nil, err
	}
	return signature.LoadSigner(o.Key, pw)
}

// SignOptions returns the signature options for these flags and the tag to bind.
func (o *Signing) SignOptions(tag string) ([]signature.SignOption, error) {
	opts := []signature.SignOption{signature.WithFormat(signature.Format(o.Format))}
	if tag != "" {
		opts = append(opts, signature.WithTag(tag))
	}
	if o.Envelope == "cose" {
		opts = append(opts, signature.WithEnvelope(signature.NotationCOSEMediaType))
	}
	if len(o.Annotations) > 0 {
		a := map[string]string{}
		for _, kv := range o.Annotations {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--signature-annotation %q: use key=value", kv)
			}
			a[k] = v
		}
		opts = append(opts, signature.WithAnnotations(a))
	}
	if o.TlogUpload != "" {
		opts = append(opts, signature.WithTlogUpload(o.TlogUpload))
	}
	return opts, nil
}

// Password reads the key password from COSIGN_PASSWORD, or prompts on a terminal.
func Password(in io.Reader, errOut io.Writer) ([]byte, error) {
	if pw, ok := os.LookupEnv("COSIGN_PASSWORD"); ok {
		return []byte(pw), nil
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, errors.New("no key password: set COSIGN_PASSWORD (empty for an unencrypted key) or run on a terminal")
	}
	fmt.Fprint(errOut, "Enter password for private key: ")
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(errOut)
	return pw, err
}

// privateKeyFile refuses a public key given to --key before any password prompt.
func privateKeyFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return Usagef("reading --key: %w", err)
	}
	if block, _ := pem.Decode(b); block != nil && strings.Contains(block.Type, "PUBLIC KEY") {
		return Usagef("--key %s is a public key: signing needs the private key (cosign.key, not cosign.pub)", path)
	}
	return nil
}

package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/signature"
)

type keyPairOptions struct {
	options.Output
	genericiooptions.IOStreams
	prefix string
}

func newGenerateKeyPairCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &keyPairOptions{IOStreams: streams}
	c := &cobra.Command{
		Use:   "generate-key-pair",
		Short: "Write a cosign-compatible key pair (PREFIX.key encrypted with COSIGN_PASSWORD, PREFIX.pub)",
		Long: `Write the same files as cosign generate-key-pair, without needing cosign on an air-gapped machine.
The private key is encrypted with COSIGN_PASSWORD (or a password typed on the terminal). Existing files
are never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.Output.AddFlags(c.Flags())
	c.Flags().StringVar(&o.prefix, "output-key-prefix", "cosign", "path prefix of the key files")
	registerCompletions(c)
	return c
}

func (o *keyPairOptions) Run() error {
	priv, pub := o.prefix+".key", o.prefix+".pub"
	for _, p := range []string{priv, pub} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists: remove it or choose --output-key-prefix", p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	pw, err := options.Password(o.In, o.ErrOut)
	if err != nil {
		return err
	}
	privPEM, pubPEM, err := signature.GenerateKeyPair(pw)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(priv), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(priv, privPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(pub, pubPEM, 0o644); err != nil {
		os.Remove(priv)
		return err
	}
	res := map[string]string{"privateKey": priv, "publicKey": pub}
	return o.Print(o.Out, res, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "Private key written to %s\nPublic key written to %s\n", priv, pub)
		return err
	})
}

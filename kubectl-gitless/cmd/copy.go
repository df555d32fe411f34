package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

type copyOptions struct {
	options.Registry
	options.Output
	genericiooptions.IOStreams

	to      options.Registry
	srcArg  string
	dstArgs []string
	src     registry.Reference
	srcRepo registry.Repository
}

type copyResult struct {
	Source string             `json:"source"`
	Copies []*artifact.Copied `json:"copies"`
}

func newCopyCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &copyOptions{IOStreams: streams}
	c := &cobra.Command{
		Use:     "copy SRC DST [DST...]",
		Aliases: []string{"cp"},
		Short:   "Replicate an artifact by digest, with its signatures and referrers, to zone registries",
		Long: `Copy the artifact SRC names, by digest, to each DST (a repository, optionally with tags
"zone-a.example.com/platform/app:1.4.0,latest"; default: SRC's tag), with everything that refers to it:
Sigstore bundles and other referrers (through the referrers API, or the referrers tag schema on registries
without it) and cosign's legacy sha256-<hex>.sig/.att/.sbom tags. Blobs the destination has are not sent.
Registry flags apply to SRC (--username or --from-username); --to-* flags to the destinations (default:
the same TLS and plain-HTTP settings as SRC's; credentials are never carried from SRC to another host).`,
		Example: `  kubectl gitless copy hub.example.com/platform/app:1.4.0 zone-a.example.com/platform/app zone-b.example.com/platform/app
  kubectl gitless copy hub.example.com/platform/app:1.4.0 oci-layout:./transfer   # for an air gap`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return options.Usage(err)
			}
			return o.Run(cmd)
		},
		ValidArgsFunction: noFileCompletion,
	}
	o.Registry.AddFlags(c.Flags())
	o.Output.AddFlags(c.Flags())
	c.Flags().BoolVar(&o.to.PlainHTTP, "to-plain-http", false, "use plain HTTP for the destinations")
	c.Flags().StringVar(&o.to.CAFile, "to-ca-file", "", "CA bundle for the destinations")
	c.Flags().BoolVar(&o.to.InsecureSkipTLSVerify, "to-insecure-skip-tls-verify", false, "do not verify the destinations' TLS certificates (unsafe)")
	c.Flags().StringVar(&o.to.DockerConfig, "to-registry-config", "", "docker config.json with the destinations' credentials")
	c.Flags().StringVar(&o.to.Username, "to-username", "", "user name for the destinations (default: docker credential store)")
	c.Flags().BoolVar(&o.to.PasswordStdin, "to-password-stdin", false, "read the destinations' password or token from stdin")
	c.Flags().StringVar(&o.Username, "from-username", "", "user name for SRC (the same as --username)")
	c.Flags().BoolVar(&o.PasswordStdin, "from-password-stdin", false, "read SRC's password or token from stdin (the same as --password-stdin)")
	registerCompletions(c)
	return c
}

func (o *copyOptions) Complete(cmd *cobra.Command, args []string) error {
	if o.PasswordStdin && o.to.PasswordStdin {
		return options.Usagef("stdin holds one password: give the source's or the destinations' credentials through --registry-config or --to-registry-config")
	}
	if err := o.Registry.Complete(o.In); err != nil {
		return err
	}
	if err := o.to.Complete(o.In); err != nil {
		return err
	}
	o.srcArg, o.dstArgs = args[0], args[1:]
	// destinations inherit the source's access settings unless --to-* flags say otherwise
	f := cmd.Flags()
	if !f.Changed("to-plain-http") {
		o.to.PlainHTTP = o.PlainHTTP
	}
	if !f.Changed("to-ca-file") {
		o.to.CAFile = o.CAFile
	}
	if !f.Changed("to-insecure-skip-tls-verify") {
		o.to.InsecureSkipTLSVerify = o.InsecureSkipTLSVerify
	}
	if !f.Changed("to-registry-config") {
		o.to.DockerConfig = o.DockerConfig
	}
	o.to.Timeout, o.to.Retries = o.Timeout, o.Retries
	var err error
	o.src, o.srcRepo, err = o.Open(o.srcArg)
	return err
}

func (o *copyOptions) Validate() error {
	if o.src.Reference() == "" {
		return errors.New("SRC needs a tag or digest")
	}
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.to.PasswordStdin && o.to.Username == "" {
		return errors.New("--to-password-stdin needs --to-username")
	}
	return o.Registry.Validate()
}

func (o *copyOptions) Run(cmd *cobra.Command) error {
	res := copyResult{Source: o.src.String()}
	for _, d := range o.dstArgs {
		dst, tags, err := parseMultiTagRef(d)
		if err != nil {
			return err
		}
		if dst.Digest != "" {
			return fmt.Errorf("destination %s: give a repository or tags, not a digest", d)
		}
		repo, err := o.to.OptionsFor(dst).Open(dst)
		if err != nil {
			return err
		}
		copied, err := artifact.Copy(cmd.Context(), o.srcRepo, o.src, repo, dst, tags, artifact.CopyOptions{})
		if err != nil {
			return fmt.Errorf("copying to %s: %w", dst.Name(), err)
		}
		res.Copies = append(res.Copies, copied)
	}
	return o.Print(o.Out, res, func(w io.Writer) error {
		for _, c := range res.Copies {
			fmt.Fprintf(w, "%s (%d referrers; %s)\n", c.Reference, len(c.Referrers), copySummary(c))
		}
		return nil
	})
}

// copySummary says what a copy wrote, so that a re-run shows it changed nothing.
func copySummary(c *artifact.Copied) string {
	if c.Pushed == 0 && len(c.TagsWritten) == 0 {
		return "already in place, nothing written"
	}
	if len(c.TagsWritten) == 0 {
		return fmt.Sprintf("%d objects pushed", c.Pushed)
	}
	return fmt.Sprintf("%d objects pushed, tagged %s", c.Pushed, strings.Join(c.TagsWritten, ", "))
}

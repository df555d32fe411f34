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
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/images"
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
	images  copyImagesFlags
}

type copyResult struct {
	Source string             `json:"source"`
	Copies []*artifact.Copied `json:"copies"`
	// Images reports the locked images per destination; NotCopied names the destinations the
	// artifact was not copied to because some of its images were refused or failed there.
	Images    []imagecopy.Report `json:"images,omitempty"`
	NotCopied []string           `json:"notCopied,omitempty"`
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
the same TLS and plain-HTTP settings as SRC's; credentials are never carried from SRC to another host).

With --images PREFIX, the images SRC's signed images lock names are copied first, by digest, with their
signatures, attestations and SBOMs, to PREFIX/<host>/<path> (a port in the host becomes _PORT), their
tags written last; the artifact follows only where every image arrived. An oci-layout DST carries the
images too, and a copy from it with --images places them in a zone. --verify-images admits only images
whose signatures verify under --key or --policy. The report counts images copied, already present,
refused and failed per destination; any refusal or failure exits non-zero, and what was copied stays.`,
		Example: `  kubectl gitless copy hub.example.com/platform/app:1.4.0 zone-a.example.com/platform/app zone-b.example.com/platform/app
  kubectl gitless copy hub.example.com/platform/app:1.4.0 oci-layout:./transfer   # for an air gap
  kubectl gitless copy hub.example.com/platform/app:1.4.0 zone-a.example.com/platform/app --images zone-a.example.com/mirror
  kubectl gitless copy oci-layout:./transfer:1.4.0 zone-a.example.com/platform/app --images zone-a.example.com/mirror --verify-images --key cosign.pub`,
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
	o.images.addFlags(c.Flags())
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
	registryDsts := 0
	for _, d := range o.dstArgs {
		if !strings.HasPrefix(d, registry.LayoutScheme) {
			registryDsts++
		}
	}
	if err := o.images.validate(registryDsts); err != nil {
		return err
	}
	return o.Registry.Validate()
}

func (o *copyOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	res := copyResult{Source: o.src.String()}
	type target struct {
		ref    registry.Reference
		tags   []string
		repo   registry.Repository
		prefix string
	}
	var targets []target
	var imageDsts []imagecopy.Destination
	registryIndex := 0
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
		prefix := ""
		if !dst.IsLayout() {
			prefix = o.images.prefixFor(registryIndex)
			registryIndex++
		}
		targets = append(targets, target{dst, tags, repo, prefix})
		if id, ok := o.imageDestination(dst, repo, prefix); ok {
			imageDsts = append(imageDsts, id)
		}
	}
	var imagesErr error
	lock, hasLock, err := o.readLock(ctx)
	switch {
	case err != nil:
		return err
	case !hasLock && len(o.images.prefixes) > 0:
		return options.Usagef("%s %v (annotation %s): publish it with its images locked, or drop --images", o.src, errNoLock, images.AnnotationLock)
	case hasLock && len(imageDsts) > 0:
		res.Images, imagesErr = o.copyImages(ctx, lock, imageDsts)
		if res.Images == nil {
			return imagesErr
		}
	case hasLock && len(lock.Images) > 0:
		fmt.Fprintf(o.ErrOut, "%s locks %d images; they were not copied (add --images PREFIX to copy them to a zone)\n", o.src, len(lock.Images))
	}
	for _, t := range targets {
		if imagesIncomplete(res.Images, imageDstName(t.ref, t.prefix)) {
			res.NotCopied = append(res.NotCopied, t.ref.Name())
			continue
		}
		copied, err := artifact.Copy(ctx, o.srcRepo, o.src, t.repo, t.ref, t.tags, artifact.CopyOptions{})
		if err != nil {
			return fmt.Errorf("copying to %s: %w", t.ref.Name(), err)
		}
		res.Copies = append(res.Copies, copied)
	}
	if err := o.Print(o.Out, res, func(w io.Writer) error {
		printImageCopies(w, res.Images)
		for _, c := range res.Copies {
			fmt.Fprintf(w, "%s (%d referrers; %s)\n", c.Reference, len(c.Referrers), copySummary(c))
		}
		for _, n := range res.NotCopied {
			fmt.Fprintf(w, "%s: artifact not copied, since some of its images are missing there\n", n)
		}
		return nil
	}); err != nil {
		return err
	}
	return imagesErr
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

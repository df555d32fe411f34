package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/replicate"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// ErrDrift is returned by status when a zone does not match the hub, and by apps when an Application
// runs something other than what its reference resolves to now; both exit ExitDrift.
var ErrDrift = errors.New("drift")

// ExitDrift is status's exit code for drift (0: every zone in sync; 1 and 3-5: errors, as other commands).
const ExitDrift = 2

type statusOptions struct {
	refCommand
	options.Trust
	zones     []string
	zonesFile string
	spec      *replicate.Spec
	cfg       *config.Config
}

func newStatusCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &statusOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "status REF|REPO [--policy FILE] [--zone HOST... | -f zones.yaml]",
		Short: "Show, per zone and tag, whether each zone serves the hub's digest with its signatures",
		Long: `Compare each zone's copy of a hub repository with the hub: for REF's tag, or for every tag of REPO, the
digest the zone serves, and whether every referrer and signature tag the hub has is there. With whom to
trust (--policy, --key or a keyless identity) the zone's signatures must also verify, binding the tag.
The zones are the mirrors of the hub's registries entry in the --policy config (their pathPrefix and
stripPrefix applied), --zone HOST[/PREFIX] repeated, or the zones of a replicate zones file (-f). When the
artifact carries an images lock, every locked image is asked for by digest at the zone's images prefix:
the zones file's images: (an oci-layout zone: its own layout), or the --policy config's images mirror on
the zone's host. Marks: in-sync; behind (same digest, referrers, signatures or locked images not yet
there: replicate again); diverged (another digest under the tag); missing (no tag); unsigned (no
signature there verifies); error (the zone could not be read). Exit codes: 0 every zone in
sync, 2 any drift, 1 usage or other error, 3 not found, 4 unauthorized, 5 unreachable (a zone that cannot
be read counts as an error, not as drift). Run it after Harbor's or zot's own replication too.`,
		Example: `  kubectl gitless status hub.example.com/platform/app --policy /etc/gitless/config.yaml
  kubectl gitless status hub.example.com/platform/app:1.4.0 --zone zone-a.example.com --zone zone-b.example.com/hub-cache -o json
  kubectl gitless status hub.example.com/platform/app -f zones.yaml --key cosign.pub`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: noFileCompletion,
	}
	c.RunE = runE(o)
	o.addFlags(c)
	o.Trust.AddFlags(c.Flags())
	c.Flags().StringArrayVar(&o.zones, "zone", nil, "zone registry HOST[/PREFIX] to compare (repeatable; default: the --policy config's mirrors of the hub)")
	c.Flags().StringVarP(&o.zonesFile, "filename", "f", "", "compare the zones of this replicate zones file (kind: Replication), with their images prefixes")
	registerCompletions(c)
	return c
}

func (o *statusOptions) trustGiven() bool {
	return o.Policy != "" || len(o.Keys) > 0 || o.CertIdentity != "" || o.CertIdentityRegExp != "" ||
		o.CertOIDCIssuer != "" || o.CertOIDCIssuerRegExp != "" || o.TrustedRoot != ""
}

func (o *statusOptions) Complete(args []string) error {
	if o.trustGiven() {
		if err := o.Trust.Validate(); err != nil {
			return err
		}
	}
	var err error
	if o.cfg, err = o.Trust.Config(); err != nil {
		return err
	}
	if o.zonesFile != "" {
		if o.spec, err = replicate.Load(o.zonesFile); errors.Is(err, replicate.ErrInvalid) {
			return options.Usage(err)
		} else if err != nil {
			return err
		}
	}
	return o.completeRefWith(args[0], o.cfg)
}

func (o *statusOptions) Validate() error {
	if o.ref.IsLayout() {
		return options.Usagef("status reads the hub registry: give host/repository[:tag]")
	}
	if len(o.zones) > 0 && o.spec != nil {
		return options.Usagef("--zone and -f both name the zones: give one of them")
	}
	if o.spec != nil && registry.NormalizeHost(o.spec.Hub.Registry) != o.ref.Registry {
		return options.Usagef("%s is not on the zones file's hub %s: give a repository of that hub", o.ref.Name(), o.spec.Hub.Registry)
	}
	if len(o.zones) == 0 && o.cfg == nil && o.spec == nil {
		return options.Usagef("say which zones to compare: --policy FILE (its mirrors of %s), --zone HOST or -f zones.yaml", o.ref.Registry)
	}
	return o.refCommand.Validate()
}

func (o *statusOptions) Run(cmd *cobra.Command) error {
	targets, err := o.targets()
	if err != nil {
		return err
	}
	var verify replicate.VerifyFunc
	if o.trustGiven() {
		if verify, err = o.verifier(); err != nil {
			return err
		}
	}
	rep, err := replicate.Status(cmd.Context(), o.repo, o.ref, targets, replicate.StatusOptions{Verify: verify})
	if err != nil {
		return err
	}
	if err := o.Print(o.Out, rep, func(w io.Writer) error { return printStatus(w, rep) }); err != nil {
		return err
	}
	if errs := rep.Errors(); len(errs) > 0 {
		return fmt.Errorf("zone %s could not be read: %s", errs[0].Zone, errs[0].Reason)
	}
	if rep.Drifted() {
		return fmt.Errorf("%w: replicate again (kubectl gitless replicate or copy), or find out why a zone serves another digest", ErrDrift)
	}
	return nil
}

// targets are the zones: the zones file's, --zone HOST[/PREFIX], else the config's mirrors of the
// hub's registry.
func (o *statusOptions) targets() ([]replicate.Target, error) {
	if o.spec != nil {
		return o.fileTargets()
	}
	var out []replicate.Target
	add := func(name string, ref registry.Reference, opts registry.Options) error {
		repo, err := opts.Open(ref)
		if err != nil {
			return err
		}
		out = append(out, replicate.Target{Name: name, Ref: ref, Repo: repo, Images: o.configImages(ref.Registry)})
		return nil
	}
	for _, z := range o.zones {
		host, prefix, _ := strings.Cut(strings.TrimSuffix(z, "/"), "/")
		path := o.ref.Repository
		if prefix != "" {
			path = prefix + "/" + path
		}
		ref := registry.Reference{Registry: registry.NormalizeHost(host), Repository: path}
		if err := add(z, ref, o.OptionsWithConfig(ref, o.cfg)); err != nil {
			return nil, err
		}
	}
	if len(o.zones) > 0 {
		return out, nil
	}
	reg := o.cfg.RegistryFor(o.ref.Registry)
	if reg == nil || len(reg.Mirrors) == 0 {
		return nil, options.Usagef("the config has no mirrors for %s: add them under registries, or give --zone HOST", o.ref.Registry)
	}
	for _, m := range reg.Mirrors {
		path, ok := m.MirrorPath(o.ref.Repository)
		if !ok {
			continue
		}
		ref := registry.Reference{Registry: registry.NormalizeHost(m.Host), Repository: path}
		if err := add(m.Host, ref, o.cfg.EndpointOptions(o.cfg.MirrorEndpoint(m), o.Registry.Options())); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fileTargets are the zones of the zones file, each with its images prefix (or its own layout).
func (o *statusOptions) fileTargets() ([]replicate.Target, error) {
	var out []replicate.Target
	for i := range o.spec.Zones {
		z := &o.spec.Zones[i]
		ref := z.Reference(o.ref.Repository)
		opts := z.Options(o.Registry.Options())
		repo, err := opts.Open(ref)
		if err != nil {
			return nil, err
		}
		t := replicate.Target{Name: z.Name, Ref: ref, Repo: repo}
		if d, ok := z.ImagesDestination(o.ref.Repository, opts, repo); ok {
			t.Images = &d
		}
		out = append(out, t)
	}
	return out, nil
}

// configImages is where the zone on host keeps locked images by the --policy config: the images
// mirror for each image's registry, when that mirror is on host (the config is the sidecar's of that
// zone); nil when the config names no images mirror.
func (o *statusOptions) configImages(host string) *imagecopy.Destination {
	if o.cfg == nil || !o.cfg.HasImagesMirror() {
		return nil
	}
	base := o.Registry.Options()
	return &imagecopy.Destination{Name: host, Open: func(name string) (registry.Repository, error) {
		m := o.cfg.ImagesMirrorFor(name)
		if m == nil || registry.NormalizeHost(m.Host()) != host {
			return nil, replicate.ErrNoImagesMirror
		}
		return o.cfg.ImagesMirrorOptions(m, base).Remote(images.MirrorName(m.Mirror, name))
	}}
}

// verifier checks a zone's signatures under the policy for the hub repository, whose name they bind.
func (o *statusOptions) verifier() (replicate.VerifyFunc, error) {
	policy, err := o.PolicyFor(o.ref.Name())
	if err != nil {
		return nil, err
	}
	v, err := signature.NewVerifier(policy, signature.WithLogger(newStderrLogger(io.Discard)))
	if err != nil {
		return nil, err
	}
	name := o.ref.Name()
	return func(ctx context.Context, store registry.Repository, desc ocispec.Descriptor, tag string) error {
		_, err := v.VerifyDescriptor(ctx, store, name, desc, tag)
		return err
	}, nil
}

var statusMarks = map[string]string{
	replicate.InSync: "✓ in-sync", replicate.Behind: "… behind", replicate.Diverged: "✗ diverged",
	replicate.Missing: "- missing", replicate.Unsigned: "! unsigned", replicate.Unknown: "? error",
}

func printStatus(w io.Writer, rep *replicate.StatusReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "TAG\tHUB DIGEST\tTYPE")
	for _, z := range rep.Zones {
		fmt.Fprintf(tw, "\t%s", z)
	}
	fmt.Fprintln(tw)
	cells := map[string]*replicate.Cell{}
	for _, c := range rep.Cells {
		cells[c.Zone+"\x00"+c.Tag] = c
	}
	for _, t := range rep.Tags {
		fmt.Fprintf(tw, "%s\t%s\t%s", t.Tag, shortDigest(t.Digest.String()), orDash(t.Type))
		for _, z := range rep.Zones {
			c := cells[z+"\x00"+t.Tag]
			fmt.Fprintf(tw, "\t%s%s", statusMarks[c.State], imagesMark(c))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range rep.Cells {
		if c.State != replicate.InSync {
			fmt.Fprintf(w, "%s %s: %s: %s\n", c.Zone, c.Tag, c.State, c.Reason)
		}
	}
	return nil
}

// imagesMark is a cell's images column: every locked image at the zone, or how many are.
func imagesMark(c *replicate.Cell) string {
	switch c.Images {
	case replicate.InSync:
		return fmt.Sprintf(", images ✓ %d/%d", c.ImagesLocked, c.ImagesLocked)
	case replicate.Missing:
		return fmt.Sprintf(", images ✗ %d/%d", c.ImagesLocked-len(c.ImagesMissing), c.ImagesLocked)
	}
	return ""
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

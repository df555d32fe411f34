package cmd

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/replicate"
)

type replicateOptions struct {
	options.Registry
	options.Output
	genericiooptions.IOStreams

	file        string
	dryRun      bool
	concurrency int
	spec        *replicate.Spec
}

func newReplicateCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &replicateOptions{IOStreams: streams}
	c := &cobra.Command{
		Use:   "replicate -f zones.yaml",
		Short: "Replicate every artifact a rule set selects from the hub to the zones, by digest, with signatures",
		Long: `Read a zones file (apiVersion: gitless.dev/v1alpha1, kind: Replication: the hub, the zones as registries or
oci-layout: directories, and rules selecting repositories by glob and tags by glob, semver range and
latest N), list the hub (its catalog, or the repositories the rules name when it has none), and copy to
each zone what it lacks, as copy does: by digest, referrers and legacy signature tags first, tags last,
nothing sent twice. With images: true, the images each artifact's signed images lock names go first, as
copy --images places them (under the zone's images: prefix, or into the repository's layout for an
oci-layout zone), each once per zone; an artifact whose image failed is not copied to that zone. A re-run
with nothing new only reads (a tag resolve and a referrers listing per artifact and zone, the same per
image). Zones are handled in parallel; one failing zone does not stop the others. The report says per
zone and artifact (and image): copied, present, or failed with the reason; the exit code is 1 when
anything failed at any zone. --dry-run prints the plan, images included, and writes nothing.`,
		Example: `  kubectl gitless replicate -f zones.yaml
  kubectl gitless replicate -f zones.yaml --dry-run -o yaml`,
		Args:              cobra.NoArgs,
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.Output.AddFlags(c.Flags())
	d := o.Registry.Options()
	c.Flags().StringVarP(&o.file, "filename", "f", "", "zones file (kind: Replication)")
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "list and compare only: print what would be copied, write nothing")
	c.Flags().IntVar(&o.concurrency, "concurrency", 0, "zones handled at once (default: the file's concurrency, else 4)")
	c.Flags().DurationVar(&o.Timeout, "request-timeout", d.RequestTimeout, "longest wait for a registry response, or between two reads of its body")
	c.Flags().IntVar(&o.Retries, "retries", d.MaxRetries, "retries of a request that failed with 5xx, 429 or a dropped connection")
	registerCompletions(c)
	return c
}

func (o *replicateOptions) Complete([]string) error {
	if o.file == "" {
		return options.Usagef("-f zones.yaml is required (apiVersion: gitless.dev/v1alpha1, kind: Replication)")
	}
	var err error
	o.spec, err = replicate.Load(o.file)
	if errors.Is(err, replicate.ErrInvalid) {
		return options.Usage(err)
	}
	return err
}

func (o *replicateOptions) Validate() error {
	if o.concurrency < 0 {
		return options.Usagef("--concurrency must not be negative")
	}
	return o.Output.Validate()
}

func (o *replicateOptions) Run(cmd *cobra.Command) error {
	rep, err := replicate.Run(cmd.Context(), o.spec, replicate.Options{Registry: o.Registry.Options(), DryRun: o.dryRun, Concurrency: o.concurrency})
	if rep == nil {
		return err
	}
	if perr := o.Print(o.Out, rep, func(w io.Writer) error { return printReplication(w, rep) }); perr != nil {
		return perr
	}
	if err != nil {
		return fmt.Errorf("%w at %s: see the report above, fix the zone and run again (what is in place is not sent again)", err, failedZones(rep))
	}
	return nil
}

func failedZones(rep *replicate.Report) string {
	var names []string
	for _, z := range rep.Zones {
		switch {
		case z.Images != nil && z.Images.Failed > 0:
			names = append(names, fmt.Sprintf("%s (%d of %d artifacts, %d of %d images)", z.Name, z.Failed, len(z.Outcomes), z.Images.Failed, len(z.Images.Images)))
		case z.Failed > 0:
			names = append(names, fmt.Sprintf("%s (%d of %d artifacts)", z.Name, z.Failed, len(z.Outcomes)))
		}
	}
	return strings.Join(names, ", ")
}

func printReplication(w io.Writer, rep *replicate.Report) error {
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	verb := "replicated"
	if rep.DryRun {
		verb = "plan (dry run)"
	}
	fmt.Fprintf(w, "%s: %d artifacts from %s to %d zones\n", verb, len(rep.Artifacts), rep.Hub, len(rep.Zones))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tARTIFACT\tTAGS\tSTATE\tDETAIL")
	for _, z := range rep.Zones {
		for _, a := range z.Outcomes {
			detail := a.Reason
			if a.State == replicate.StateCopied {
				detail = fmt.Sprintf("%d objects pushed", a.Pushed)
				if len(a.TagsWritten) > 0 {
					detail += ", tagged " + strings.Join(a.TagsWritten, ", ")
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", z.Name, a.Reference, strings.Join(a.Tags, ","), a.State, orDash(detail))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, z := range rep.Zones {
		fmt.Fprintf(w, "%s: %d copied, %d present, %d planned, %d failed\n", z.Name, z.Copied, z.Present, z.Planned, z.Failed)
		printZoneImages(w, z)
	}
	return nil
}

// printZoneImages says what became of the locked images at a zone, naming each image that failed
// (or, in a dry run, would be copied).
func printZoneImages(w io.Writer, z *replicate.ZoneReport) {
	if z.Images == nil {
		return
	}
	im := z.Images
	fmt.Fprintf(w, "%s images: %d copied, %d present, %d planned, %d failed\n", z.Name, im.Copied, im.Present, im.Planned, im.Failed)
	if len(im.Unpinned) > 0 {
		fmt.Fprintf(w, "  %d unpinned images skipped (locked without a digest, --images=record: the zone pulls them upstream): %s\n",
			len(im.Unpinned), strings.Join(im.Unpinned, ", "))
	}
	for _, r := range im.Images {
		switch r.Status {
		case replicate.StatePlanned:
			fmt.Fprintf(w, "  would copy %s@%s\n", r.Image, r.Digest)
		case imagecopy.StatusCopied, imagecopy.StatusPresent:
		default:
			fmt.Fprintf(w, "  %s %s: %s\n", r.Status, r.Image, r.Reason)
		}
	}
}

package cmd

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/argoapp"
)

type appsOptions struct {
	cluster *options.Cluster
	artifacts
	options.Output
	genericiooptions.IOStreams
}

// appRow is one Application in the table and in -o json|yaml.
type appRow struct {
	Context string `json:"context"`
	argoapp.App
	// SyncedDigest is the digest Argo CD last synced, from the status ("" when it does not say).
	SyncedDigest string `json:"syncedDigest,omitempty"`
	// Resolved is what the reference resolves to now at its upstream registry.
	Resolved
	// Drift: the zone runs another digest than the reference resolves to now.
	Drift bool `json:"drift"`
}

func newAppsCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &appsOptions{cluster: options.NewCluster(), IOStreams: streams}
	c := &cobra.Command{
		Use:   "apps [--context NAME]... [-n NS | -A] [--policy FILE]",
		Short: "List the Argo CD Applications that deploy gitless artifacts, in one or more clusters",
		Long: `List the Argo CD Applications (ApplicationSets' generated ones included) that use gitless: those that
select the gitless plugin, and those whose OCI source names a repository of the --policy config. For each:
the artifact reference, the digest Argo CD last synced (from the status: the OCI source's revision, or the
digest pinned in the plugin form; a plugin form naming a tag records none), the digest the reference
resolves to now at the hub (a reference on a configured mirror is resolved at its upstream), whether that
digest verifies under the trust flags or --policy, sync and health status, and the last condition.
--context is repeatable: one table across clusters. Exits 2 when an Application runs another digest than
its reference resolves to now (see kubectl gitless pin).`,
		Example: `  kubectl gitless apps --context zone-a --context zone-b --policy gitless.yaml
  kubectl gitless apps -A -o json`,
		Args: cobra.NoArgs,
		RunE: runE(o),
	}
	o.cluster.AddFlags(c.Flags(), true)
	o.artifacts.addFlags(c)
	o.Output.AddFlags(c.Flags())
	registerCompletions(c)
	return c
}

func (o *appsOptions) Complete([]string) error { return o.artifacts.complete(o.In, o.ErrOut) }

func (o *appsOptions) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	return o.artifacts.validate()
}

func (o *appsOptions) Run(cmd *cobra.Command) error {
	targets, err := o.cluster.Targets()
	if err != nil {
		return err
	}
	var rows []appRow
	for _, t := range targets {
		r, err := o.list(cmd.Context(), t)
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	if err := o.Print(o.Out, rows, func(w io.Writer) error { return printApps(w, rows) }); err != nil {
		return err
	}
	var drifted []string
	for _, r := range rows {
		if r.Drift {
			drifted = append(drifted, r.Context+"/"+r.Namespace+"/"+r.Name)
		}
	}
	if len(drifted) > 0 {
		return fmt.Errorf("%w: %s run(s) another digest than the reference resolves to now: "+
			"refresh the Application, or pin it with kubectl gitless pin", ErrDrift, strings.Join(drifted, ", "))
	}
	return nil
}

// list reads the gitless Applications of one cluster and resolves their references.
func (o *appsOptions) list(ctx context.Context, t options.Target) ([]appRow, error) {
	list, err := t.Client.Resource(argoapp.GVR).Namespace(t.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing Argo CD Applications in context %q: %w (is Argo CD installed there, and may you list applications.argoproj.io?)", t.Context, err)
	}
	var rows []appRow
	for i := range list.Items {
		a, ok := argoapp.FromObject(&list.Items[i], o.isGitless)
		if !ok {
			continue
		}
		r := appRow{Context: t.Context, App: a, SyncedDigest: a.SyncedDigest(), Resolved: o.resolve(ctx, a.Ref)}
		r.Drift = r.SyncedDigest != "" && r.Digest != "" && r.SyncedDigest != r.Digest
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Namespace+"/"+rows[i].Name < rows[j].Namespace+"/"+rows[j].Name })
	return rows, nil
}

func printApps(w io.Writer, rows []appRow) error {
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "CONTEXT\tNAMESPACE\tNAME\tFORM\tREF\tSYNCED\tNOW\tVERIFIED\tSYNC\tHEALTH\tCONDITION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Context, r.Namespace, r.Name, r.Form, r.Ref,
			short(r.SyncedDigest), short(r.Digest), r.verifiedText(), dash(r.SyncStatus), dash(r.Health), oneLine(r.Condition))
	}
	return tw.Flush()
}

func short(d string) string {
	if h, ok := strings.CutPrefix(d, "sha256:"); ok && len(h) > 12 {
		return "sha256:" + h[:12]
	}
	return dash(d)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return dash(s)
}

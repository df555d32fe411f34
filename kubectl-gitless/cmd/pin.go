package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/argoapp"
	"github.com/gitless-dev/gitless/pkg/registry"
)

type pinOptions struct {
	cluster *options.Cluster
	artifacts
	options.Output
	genericiooptions.IOStreams
	DryRun bool

	app string
	ref registry.Reference
}

// pinResult is what pin did (or would do, with --dry-run) in one cluster.
type pinResult struct {
	Context   string `json:"context"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Form      string `json:"form"`
	From      string `json:"from"`
	To        string `json:"to"`
	Digest    string `json:"digest"`
	Patch     string `json:"patch"`
	DryRun    bool   `json:"dryRun"`
}

func newPinCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &pinOptions{cluster: options.NewCluster(), IOStreams: streams}
	c := &cobra.Command{
		Use:   "pin APP REF (--policy FILE | --key FILE...) [--context NAME]... [-n NS] [--dry-run]",
		Short: "Resolve and verify REF, and make an Argo CD Application deploy exactly that digest",
		Long: `Resolve REF (registry/repo:tag or @sha256:...) at its registry, verify the digest under the trust flags or
--policy, and patch the Application APP so that it deploys exactly that digest: the plugin form's GITLESS_REF
env or ref parameter becomes repo:tag@digest (the sidecar still checks that a signature binds the tag), the
OCI source's targetRevision becomes the digest. This is promotion for the plugin form, whose tag Argo CD's
manifest cache does not see move. The patch is a JSON patch that first tests the current value, so a
concurrent edit fails it. --context is repeatable: the same Application in each cluster. --dry-run prints
the patch and changes nothing.`,
		Example: `  kubectl gitless pin guestbook hub.example.com/platform/guestbook:1.5.0 --policy gitless.yaml --context zone-a --context zone-b
  kubectl gitless pin guestbook hub.example.com/platform/guestbook:1.5.0 --key cosign.pub --dry-run -o json`,
		Args: cobra.ExactArgs(2),
		RunE: runE(o),
	}
	o.cluster.AddFlags(c.Flags(), false)
	o.artifacts.addFlags(c)
	o.Output.AddFlags(c.Flags())
	c.Flags().BoolVar(&o.DryRun, "dry-run", false, "print the patch; change nothing")
	registerCompletions(c)
	return c
}

func (o *pinOptions) Complete(args []string) error {
	o.app = args[0]
	var err error
	if o.ref, err = registry.ParseReference(args[1]); err != nil {
		return err
	}
	return o.artifacts.complete(o.In, o.ErrOut)
}

func (o *pinOptions) Validate() error {
	if !o.trustGiven() {
		return options.Usagef("pin verifies REF before it patches: say whom to trust with --policy FILE or --key FILE")
	}
	if err := o.Output.Validate(); err != nil {
		return err
	}
	return o.artifacts.validate()
}

func (o *pinOptions) Run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	res, err := o.resolveRef(ctx, o.ref.Name()+refSuffix(o.ref))
	if err != nil {
		return err
	}
	if res.Verified == nil || !*res.Verified {
		return fmt.Errorf("%s resolves to %s, which the policy does not accept: %s", o.ref.Name()+refSuffix(o.ref), res.Digest, res.Error)
	}
	targets, err := o.cluster.Targets()
	if err != nil {
		return err
	}
	var done []pinResult
	for _, t := range targets {
		r, err := o.pin(cmd, t, res)
		if err != nil {
			return err
		}
		done = append(done, r)
	}
	return o.Print(o.Out, done, func(w io.Writer) error { return printPins(w, done) })
}

// pin patches the Application in one cluster.
func (o *pinOptions) pin(cmd *cobra.Command, t options.Target, res Resolved) (pinResult, error) {
	ri := t.Client.Resource(argoapp.GVR).Namespace(t.Namespace)
	u, err := ri.Get(cmd.Context(), o.app, metav1.GetOptions{})
	if err != nil {
		return pinResult{}, fmt.Errorf("reading Application %s/%s in context %q: %w", t.Namespace, o.app, t.Context, err)
	}
	a, ok := argoapp.FromObject(u, o.isGitless)
	if !ok {
		return pinResult{}, fmt.Errorf("Application %s/%s in context %q does not use gitless (no gitless plugin, no OCI source of the --policy config)", t.Namespace, o.app, t.Context)
	}
	if a.Form == argoapp.FormOCI {
		appRef, err := registry.ParseReference(a.Ref)
		if err != nil {
			return pinResult{}, err
		}
		if up := o.upstream(appRef).Name(); up != res.Upstream {
			return pinResult{}, fmt.Errorf("Application %s/%s deploys %s (upstream %s), not %s: an OCI source pins only its own repository",
				t.Namespace, o.app, a.Repository(), up, res.Upstream)
		}
	}
	to := a.Value(res.Upstream, o.ref.Tag, res.Digest)
	patch, err := a.PinPatch(to)
	if err != nil {
		return pinResult{}, err
	}
	r := pinResult{Context: t.Context, Namespace: t.Namespace, Name: o.app, Form: string(a.Form), From: a.Ref, To: to,
		Digest: res.Digest, Patch: string(patch), DryRun: o.DryRun}
	if o.DryRun {
		return r, nil
	}
	if _, err := ri.Patch(cmd.Context(), o.app, types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-gitless"}); err != nil {
		return pinResult{}, fmt.Errorf("patching Application %s/%s in context %q: %w", t.Namespace, o.app, t.Context, err)
	}
	return r, nil
}

func refSuffix(r registry.Reference) string {
	if r.Digest != "" {
		return "@" + r.Digest.String()
	}
	return ":" + r.Tag
}

func printPins(w io.Writer, rs []pinResult) error {
	for _, r := range rs {
		verb := "pinned"
		if r.DryRun {
			verb = "would pin (dry run)"
		}
		fmt.Fprintf(w, "%s/%s/%s %s: %s -> %s\n", r.Context, r.Namespace, r.Name, verb, r.From, r.To)
		if r.DryRun {
			fmt.Fprintf(w, "  patch: %s\n", r.Patch)
		}
	}
	return nil
}

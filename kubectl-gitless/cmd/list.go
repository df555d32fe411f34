package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/signature"
)

type listOptions struct {
	refCommand
	options.Trust
	all bool
}

// listRow is one tag. Without trust flags it says which signatures exist (Signatures); with them,
// what `verify` says for the tag (Verify), since a signature that exists need not verify.
type listRow struct {
	Tag        string   `json:"tag"`
	Digest     string   `json:"digest"`
	Created    string   `json:"created,omitempty"`
	Kind       string   `json:"kind"`
	Signatures []string `json:"signatures"`
	Verify     string   `json:"verify,omitempty"`
}

func newListCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &listOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:     "list REPO",
		Aliases: []string{"ls"},
		Short:   "List a repository's tags with digest, creation time, kind and signatures",
		Long: `List the tags of REPO with digest, creation time and content kind. The SIGNATURES column counts the
signatures stored for each digest by format (bundle: Sigstore bundle referrer, legacy: .sig tag); it does
not check them. Given whom to trust (--key, --policy or a keyless identity), a VERIFY column says instead
what 'kubectl gitless verify REPO:TAG' would: verified, or why not with verify's exit code.`,
		Example: `  kubectl gitless list registry.example.com/platform/app
  kubectl gitless list registry.example.com/platform/app --key cosign.pub
  kubectl gitless list registry.example.com/platform/app --all -o json`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	o.Trust.AddFlags(c.Flags())
	c.Flags().BoolVar(&o.all, "all", false, "include signature and referrer tags (*.sig, *.att, *.sbom, sha256-*)")
	registerCompletions(c)
	return c
}

func (o *listOptions) Complete(args []string) error {
	cfg, err := o.Trust.Config()
	if err != nil {
		return err
	}
	return o.completeRefWith(args[0], cfg)
}

func (o *listOptions) Validate() error {
	if o.verifying() {
		if err := o.Trust.Validate(); err != nil {
			return err
		}
	}
	return o.refCommand.Validate()
}

// verifying reports whether any trust flag was given.
func (o *listOptions) verifying() bool {
	return o.Policy != "" || len(o.Keys) > 0 || o.CertIdentity != "" || o.CertIdentityRegExp != "" ||
		o.CertOIDCIssuer != "" || o.CertOIDCIssuerRegExp != "" || o.TrustedRoot != ""
}

func (o *listOptions) Run(cmd *cobra.Command) error {
	tags, err := artifact.List(cmd.Context(), o.repo, artifact.ListOptions{All: o.all})
	if err != nil {
		return err
	}
	rows := make([]listRow, len(tags))
	g, _ := errgroup.WithContext(cmd.Context())
	g.SetLimit(8) // as artifact.List's manifest fetches
	for i, t := range tags {
		g.Go(func() (err error) {
			rows[i], err = o.row(cmd, t)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return o.Print(o.Out, rows, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		last := "SIGNATURES"
		if o.verifying() {
			last = "VERIFY"
		}
		fmt.Fprintf(tw, "TAG\tDIGEST\tCREATED\tKIND\t%s\n", last)
		for _, r := range rows {
			status := signatureSummary(r.Signatures)
			if o.verifying() {
				status = r.Verify
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Tag, r.Digest, orDash(r.Created), r.Kind, status)
		}
		return tw.Flush()
	})
}

func (o *listOptions) row(cmd *cobra.Command, t artifact.TagInfo) (listRow, error) {
	row := listRow{Tag: t.Tag, Digest: t.Digest, Created: t.Created, Kind: t.Kind}
	var err error
	if row.Signatures, err = o.signatures(cmd.Context(), t.Digest); err != nil {
		return row, err
	}
	if o.verifying() {
		_, verr := verifyRef(cmd, o.repo, o.ref.WithTag(t.Tag), &o.Trust, io.Discard)
		row.Verify = verifyStatus(verr)
	}
	return row, nil
}

// signatures lists the formats of the signatures stored for digest: "bundle" or "legacy", one per signature.
func (o *listOptions) signatures(ctx context.Context, digest string) ([]string, error) {
	desc, err := o.repo.Resolve(ctx, digest)
	if err != nil {
		return nil, err
	}
	refs, err := artifact.ListReferrers(ctx, o.repo, desc)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, r := range refs {
		switch r.Kind {
		case artifact.LabelSigstoreBundle:
			out = append(out, string(signature.FormatBundle))
		case artifact.LabelCosignSignature:
			out = append(out, string(signature.FormatLegacy))
		}
	}
	return out, nil
}

// signatureSummary counts signatures by format: "2 (bundle, legacy)", or "none".
func signatureSummary(formats []string) string {
	if len(formats) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d (%s)", len(formats), strings.Join(dedupe(append([]string(nil), formats...)), ", "))
}

// verifyStatus is what verify would report: verified, or its failure with its exit code.
func verifyStatus(err error) string {
	if err == nil {
		return "verified"
	}
	switch code := signature.ExitCode(err); code {
	case signature.ExitNoSignature:
		return fmt.Sprintf("no signature (exit %d)", code)
	case signature.ExitTagNotFound:
		return fmt.Sprintf("tag not found (exit %d)", code)
	case signature.ExitNoValid:
		return fmt.Sprintf("no valid signature (exit %d)", code)
	}
	return fmt.Sprintf("error (exit %d): %v", exitCode(err), err)
}

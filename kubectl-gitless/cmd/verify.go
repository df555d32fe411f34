package cmd

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

type verifyOptions struct {
	refCommand
	options.Trust
}

func newVerifyCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &verifyOptions{refCommand: refCommand{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "verify REF (--key FILE|DIR... | --policy FILE | --certificate-identity... --certificate-oidc-issuer...)",
		Short: "Verify an artifact's signatures (Sigstore bundle first, then legacy .sig)",
		Long: `Verify that REF is signed by a trusted key or keyless identity. A tag reference must also be bound
by a valid signature to the digest it resolves to (kubectl gitless sign REF:TAG and publish --sign bind it);
signatures that bind no tag at all (plain cosign sign) are refused by tag unless the policy sets
allowUnboundTags (or --allow-unbound-tags with --key/keyless), which warns on every use; verifying by
digest needs no binding. With --policy, a reference on a mirror listed in the config is checked against
its upstream repository (mapped back through the mirror's pathPrefix/stripPrefix), whose name the hub's
signatures bind. Exit codes follow cosign's: 0 verified, 10 no signature
found, 11 tag not found, 12 signatures present but none valid for this digest and policy; a registry or
network failure exits with its own code (3 not found, 4 unauthorized, 5 unreachable, 1 other), and a
usage error (no trust given, half a keyless identity) with 2. With --policy, the config's registries entry
for REF's host (plainHTTP, caFile, credentialsFile, ...) applies, as in the sidecar, and --project NAME
decides for an Application of that Argo CD project (policies and credentials scoped to projects); a
config that names several teams' repositories without any projects scope gets a warning.`,
		Example: `  kubectl gitless verify registry.example.com/platform/app:1.4.0 --key cosign.pub
  kubectl gitless verify registry.example.com/platform/app:1.4.0 --policy /etc/gitless/config.yaml -o json`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: noFileCompletion,
	}
	o.addFlags(c)
	o.Trust.AddFlags(c.Flags())
	registerCompletions(c)
	return c
}

func (o *verifyOptions) Complete(args []string) error {
	// the trust flags are checked before the policy file is read, so a misuse is a usage error
	if err := o.Trust.Validate(); err != nil {
		return err
	}
	cfg, err := o.Trust.Config()
	if err != nil {
		return err
	}
	warnUnscoped(cfg, newStderrLogger(o.ErrOut))
	o.project = o.Trust.Project
	return o.completeRefWith(args[0], cfg)
}

// warnUnscoped warns when a config names several teams' repositories and scopes no policy to
// projects: in a sidecar shared by those teams, an Application of any project may then render any
// of them with the plugin form (GITLESS_REF), whatever its AppProject's sourceRepos say.
func warnUnscoped(cfg *config.Config, log *slog.Logger) {
	if cfg == nil {
		return
	}
	if groups := cfg.UnscopedTeams(); groups != nil {
		log.Warn("the config names several teams' repositories but no policy has a projects scope: "+
			"any Argo CD project's Application may render any of them with the plugin form; "+
			"add projects: [...] to the policies (see the README's configuration section)",
			"repositories", strings.Join(groups, ", "))
	}
}

func (o *verifyOptions) Validate() error { return o.refCommand.Validate() }

func (o *verifyOptions) Run(cmd *cobra.Command) error {
	res, err := verifyRef(cmd, o.repo, o.ref, &o.Trust, o.ErrOut)
	if err != nil {
		return err
	}
	return o.Print(o.Out, res, func(w io.Writer) error { return printVerification(w, res) })
}

// verifyRef verifies ref under the trust flags; render uses it too.
func verifyRef(cmd *cobra.Command, repo registry.Repository, ref registry.Reference, t *options.Trust, errOut io.Writer) (*verifyResult, error) {
	log := newStderrLogger(errOut)
	name, err := upstreamName(ref, t, log)
	if err != nil {
		return nil, err
	}
	policy, err := t.PolicyFor(name)
	if err != nil {
		return nil, err
	}
	v, err := signature.NewVerifier(policy, signature.WithLogger(log))
	if err != nil {
		return nil, err
	}
	res, err := v.Verify(cmd.Context(), repo, name, ref.Reference())
	if err != nil || policy.Provenance == nil {
		return &verifyResult{Result: res}, err
	}
	prov, err := provenance.Verify(cmd.Context(), v, repo, ocispec.Descriptor{Digest: res.Digest}, policy.Provenance)
	if err != nil {
		return nil, fmt.Errorf("verifying %s@%s: %w", name, res.Digest, err)
	}
	return &verifyResult{Result: res, Provenance: prov}, nil
}

// verifyResult is a verification and, when the policy requires it, the accepted provenance.
type verifyResult struct {
	*signature.Result
	Provenance *provenance.Verified `json:"provenance,omitempty"`
}

// upstreamName is the repository whose policy and tag bindings apply to ref: with a config file
// (--policy), a reference on a configured mirror is mapped back to its upstream name through the
// mirror's pathPrefix/stripPrefix, as the sidecar does, since the hub's signatures name the hub's
// path. ref is still read where it is.
func upstreamName(ref registry.Reference, t *options.Trust, log *slog.Logger) (string, error) {
	if t.Policy == "" || ref.IsLayout() {
		return ref.Name(), nil
	}
	cfg, err := config.Load(t.Policy)
	if err != nil {
		return "", err
	}
	up, ok := cfg.UpstreamOf(ref.Name())
	if !ok {
		return ref.Name(), nil
	}
	log.Info("reference on a mirror: checking the upstream repository's policy and tag bindings", "mirror", ref.Name(), "upstream", up)
	return up, nil
}

func printVerification(w io.Writer, r *verifyResult) error {
	if r.Insecure {
		_, err := fmt.Fprintf(w, "WARNING: %s@%s accepted UNSIGNED by an insecureAcceptUnsigned policy\n", r.Repository, r.Digest)
		return err
	}
	fmt.Fprintf(w, "Verified %s@%s\n", r.Repository, r.Digest)
	if r.Tag != "" {
		fmt.Fprintf(w, "Tag %s bound by signature: %t\n", r.Tag, r.TagBound)
	}
	for _, s := range r.Signatures {
		who := s.KeySource
		if s.CertSubject != "" {
			who = s.CertSubject + " (" + s.CertIssuer + ")"
		}
		fmt.Fprintf(w, "  %s signature %s by %s", s.Format, s.Manifest, who)
		if s.BoundTag != "" {
			fmt.Fprintf(w, ", tag %s", s.BoundTag)
		}
		fmt.Fprintln(w)
	}
	if p := r.Provenance; p != nil {
		fmt.Fprintf(w, "Provenance accepted: source %s, revision %s, ref %s, builder %s (%s attestation %s)\n",
			orNone(p.Source.Repository), orNone(p.Source.Revision), orNone(p.Source.Ref), orNone(p.BuilderID), p.Attestation.Format, p.Attestation.Manifest)
	}
	return nil
}

func orNone(s string) string { return orDefault(s, "(none)") }

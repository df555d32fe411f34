package cmd

import (
	"context"
	"io"
	"log/slog"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// artifacts resolves and verifies the references Applications name, at their upstream registry:
// what apps and pin share.
type artifacts struct {
	options.Registry
	options.Trust

	cfg   *config.Config
	log   *slog.Logger
	cache map[string]Resolved
}

// Resolved is what a reference resolves to now, and whether the policy accepts it.
type Resolved struct {
	// Upstream is the repository resolved (a mirror's reference mapped back to its upstream).
	Upstream string `json:"upstream,omitempty"`
	Digest   string `json:"resolvedDigest,omitempty"`
	// Verified is nil when no trust was given.
	Verified *bool  `json:"verified,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (o *artifacts) addFlags(c *cobra.Command) {
	o.Registry.AddFlags(c.Flags())
	o.Trust.AddFlags(c.Flags())
}

func (o *artifacts) trustGiven() bool {
	t := o.Trust
	return t.Policy != "" || len(t.Keys) > 0 || t.CertIdentity != "" || t.CertIdentityRegExp != "" || t.CertOIDCIssuer != "" || t.CertOIDCIssuerRegExp != ""
}

func (o *artifacts) complete(in io.Reader, errOut io.Writer) error {
	o.log, o.cache = newStderrLogger(errOut), map[string]Resolved{}
	if err := o.Registry.Complete(in); err != nil {
		return err
	}
	var err error
	o.cfg, err = o.Trust.Config()
	return err
}

func (o *artifacts) validate() error {
	if o.trustGiven() {
		if err := o.Trust.Validate(); err != nil {
			return err
		}
	}
	return o.Registry.Validate()
}

// isGitless accepts a repository the --policy config names (a registry, a mirror or a policy).
func (o *artifacts) isGitless(repository string) bool {
	if o.cfg == nil {
		return false
	}
	if up, ok := o.cfg.UpstreamOf(repository); ok {
		repository = up
	}
	ref, err := registry.ParseReference(repository)
	if err != nil {
		return false
	}
	if o.cfg.RegistryFor(ref.Registry) != nil {
		return true
	}
	_, err = o.cfg.PolicyFor(repository)
	return err == nil
}

// upstream maps a reference on a configured mirror to its upstream repository.
func (o *artifacts) upstream(ref registry.Reference) registry.Reference {
	if o.cfg == nil {
		return ref
	}
	u, _ := o.cfg.UpstreamReference(ref)
	return u
}

// resolve resolves s at its upstream registry and verifies the digest when trust was given.
func (o *artifacts) resolve(ctx context.Context, s string) Resolved {
	if r, ok := o.cache[s]; ok {
		return r
	}
	r, _ := o.resolveRef(ctx, s)
	o.cache[s] = r
	return r
}

func (o *artifacts) resolveRef(ctx context.Context, s string) (Resolved, error) {
	ref, err := registry.ParseReference(s)
	if err != nil {
		return Resolved{Error: err.Error()}, err
	}
	ref = o.upstream(ref)
	r := Resolved{Upstream: ref.Name()}
	repo, err := o.OptionsWithConfigFor(ref, o.cfg, o.Trust.Project).Open(ref)
	if err == nil {
		var d ocispec.Descriptor
		if d, err = repo.Resolve(ctx, ref.Reference()); err == nil {
			r.Digest = d.Digest.String()
		}
	}
	if err != nil {
		err = registry.Classify(err, "resolving "+s)
		r.Error = err.Error()
		return r, err
	}
	if !o.trustGiven() {
		return r, nil
	}
	res, err := o.verify(ctx, repo, ref)
	ok := err == nil && res.Digest.String() == r.Digest
	r.Verified = &ok
	if err != nil {
		r.Error = err.Error()
	}
	return r, err
}

func (o *artifacts) verify(ctx context.Context, repo registry.Repository, ref registry.Reference) (*signature.Result, error) {
	policy, err := o.Trust.PolicyFor(ref.Name())
	if err != nil {
		return nil, err
	}
	v, err := signature.NewVerifier(policy, signature.WithLogger(o.log))
	if err != nil {
		return nil, err
	}
	return v.Verify(ctx, repo, ref.Name(), ref.Reference())
}

// verifiedText is the VERIFIED column: yes, no (with the reason in -o json|yaml), or - without trust.
func (r Resolved) verifiedText() string {
	switch {
	case r.Verified == nil && r.Error != "":
		return "error"
	case r.Verified == nil:
		return "-"
	case *r.Verified:
		return "yes"
	}
	return "no"
}

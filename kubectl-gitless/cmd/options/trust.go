package options

import (
	"errors"
	"github.com/spf13/pflag"

	"github.com/gitless-dev/gitless/pkg/config"
)

// Trust are the flags that say which signatures to trust: keys, a keyless identity, or a policy file.
type Trust struct {
	Keys                 []string
	Policy               string
	CertIdentity         string
	CertIdentityRegExp   string
	CertOIDCIssuer       string
	CertOIDCIssuerRegExp string
	TrustedRoot          string
	// NotationCerts and NotationIdentities trust Notation signatures (the policy's notation entry).
	NotationCerts      []string
	NotationIdentities []string
	// AllowUnboundTags accepts a tag that no signature binds (the policy's allowUnboundTags) on the
	// --key and keyless paths; a --policy file says it itself.
	AllowUnboundTags bool
	// Project is the Argo CD project to decide for (the sidecar's ARGOCD_APP_PROJECT_NAME): policies
	// and credentials of the --policy file scoped to projects apply as they do in the sidecar.
	Project string

	cfg *config.Config
}

// AddFlags registers the trust flags.
func (o *Trust) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.Keys, "key", nil, "PEM public key file or directory of keys (repeatable)")
	fs.StringVar(&o.Policy, "policy", "", "gitless config file whose trust policies apply (the sidecar's config)")
	fs.StringVar(&o.CertIdentity, "certificate-identity", "", "keyless: exact certificate subject (email or URI)")
	fs.StringVar(&o.CertIdentityRegExp, "certificate-identity-regexp", "", "keyless: certificate subject regexp, anchored (^...$)")
	fs.StringVar(&o.CertOIDCIssuer, "certificate-oidc-issuer", "", "keyless: exact OIDC issuer")
	fs.StringVar(&o.CertOIDCIssuerRegExp, "certificate-oidc-issuer-regexp", "", "keyless: OIDC issuer regexp, anchored (^...$)")
	fs.StringVar(&o.TrustedRoot, "trusted-root", "", "keyless: Sigstore trusted_root.json (private Sigstore, offline zones)")
	fs.StringVar(&o.Project, "project", "", "with --policy: the Argo CD project of the Application (ARGOCD_APP_PROJECT_NAME); policies and credentials scoped to projects apply as in the sidecar, and a scoped policy refuses a request without one")
	fs.StringArrayVar(&o.NotationCerts, "notation-certificate", nil, "Notation: trusted CA certificate file or directory (repeatable)")
	fs.StringArrayVar(&o.NotationIdentities, "notation-identity", nil, `Notation: trusted signer, "x509.subject: C=..., ST=..., O=..., CN=..." or "*" (repeatable)`)
	fs.BoolVar(&o.AllowUnboundTags, "allow-unbound-tags", false, "accept a tag that no signature binds (plain cosign sign), with a warning; unsafe: any signed digest could be served under the tag")
}

func (o *Trust) keyless() bool {
	return o.CertIdentity != "" || o.CertIdentityRegExp != "" || o.CertOIDCIssuer != "" || o.CertOIDCIssuerRegExp != "" || o.TrustedRoot != ""
}

// Validate refuses no trust at all, mixing a policy file with inline trust, half an identity, and
// identity regexps without ^ and $.
func (o *Trust) Validate() error {
	switch {
	case o.Policy != "" && (len(o.Keys) > 0 || o.keyless() || o.notation()):
		return Usagef("--policy cannot be combined with --key, keyless or notation flags")
	case o.notation() && (len(o.NotationCerts) == 0 || len(o.NotationIdentities) == 0):
		return Usagef(`Notation verification needs both --notation-certificate and --notation-identity ("x509.subject: ..." or "*")`)
	case o.Policy == "" && o.Project != "":
		return Usagef("--project applies to the projects scopes of a --policy file: add --policy FILE")
	case o.Policy != "" && o.AllowUnboundTags:
		return Usagef("--allow-unbound-tags cannot be combined with --policy: set allowUnboundTags: true in the policy instead")
	case o.Policy == "" && len(o.Keys) == 0 && !o.keyless() && !o.notation():
		return Usagef("say whom to trust: --key FILE|DIR, --policy FILE, --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp], or --notation-certificate with --notation-identity")
	case o.keyless() && ((o.CertIdentity == "" && o.CertIdentityRegExp == "") || (o.CertOIDCIssuer == "" && o.CertOIDCIssuerRegExp == "")):
		return Usagef("keyless verification needs both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]")
	}
	// unlike cosign, which matches these anywhere in the name, refuse what could match a longer name
	return Usage(errors.Join(config.CheckAnchored("--certificate-identity-regexp", o.CertIdentityRegExp),
		config.CheckAnchored("--certificate-oidc-issuer-regexp", o.CertOIDCIssuerRegExp)))
}

// PolicyFor returns the policy for repository: from the policy file, or built from the flags.
func (o *Trust) PolicyFor(repository string) (*config.Policy, error) {
	if o.Policy != "" {
		cfg, err := o.Config()
		if err != nil {
			return nil, err
		}
		return cfg.PolicyForProject(repository, o.Project)
	}
	p := &config.Policy{Match: "**", Keys: o.Keys, AllowUnboundTags: o.AllowUnboundTags}
	if o.keyless() {
		p.Keyless = &config.Keyless{Issuer: o.CertOIDCIssuer, IssuerRegExp: o.CertOIDCIssuerRegExp,
			Subject: o.CertIdentity, SubjectRegExp: o.CertIdentityRegExp, TrustedRoot: o.TrustedRoot}
	}
	if o.notation() {
		p.Notation = &config.Notation{Certificates: o.NotationCerts, TrustedIdentities: o.NotationIdentities}
		if err := p.Notation.Validate(); err != nil {
			return nil, Usage(err)
		}
	}
	return p, nil
}

func (o *Trust) notation() bool { return len(o.NotationCerts) > 0 || len(o.NotationIdentities) > 0 }

// Config loads the --policy file (once); nil without --policy.
func (o *Trust) Config() (*config.Config, error) {
	if o.Policy == "" || o.cfg != nil {
		return o.cfg, nil
	}
	cfg, err := config.Load(o.Policy)
	if err != nil {
		return nil, err
	}
	o.cfg = cfg
	return cfg, nil
}

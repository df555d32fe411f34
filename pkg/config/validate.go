package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Validate checks the whole configuration and prepares the policies' matchers.
func (c *Config) Validate() error {
	var errs []error
	if c.APIVersion != APIVersion {
		errs = append(errs, fmt.Errorf("apiVersion %q: want %q", c.APIVersion, APIVersion))
	}
	if c.Kind != Kind {
		errs = append(errs, fmt.Errorf("kind %q: want %q", c.Kind, Kind))
	}
	for i, r := range c.Registries {
		if r.Host == "" {
			errs = append(errs, fmt.Errorf("registries[%d]: host is required", i))
		}
		if err := validateCredentials(r.Credentials); err != nil {
			errs = append(errs, fmt.Errorf("registries[%d]: %w", i, err))
		}
		for j, m := range r.Mirrors {
			if m.Host == "" {
				errs = append(errs, fmt.Errorf("registries[%d].mirrors[%d]: host is required", i, j))
			}
			if err := validateCredentials(m.Credentials); err != nil {
				errs = append(errs, fmt.Errorf("registries[%d].mirrors[%d]: %w", i, j, err))
			}
			for _, f := range []struct{ name, value string }{{"pathPrefix", m.PathPrefix}, {"stripPrefix", m.StripPrefix}} {
				if err := validatePathPrefix(f.name, f.value); err != nil {
					errs = append(errs, fmt.Errorf("registries[%d].mirrors[%d]: %w", i, j, err))
				}
			}
		}
	}
	if c.Images != nil {
		if err := c.Images.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for i, r := range c.Registries {
		if r.Images != nil {
			if err := r.Images.Validate(); err != nil {
				errs = append(errs, fmt.Errorf("registries[%d]: %w", i, err))
			}
		}
	}
	if c.Cache.VerificationTTL.Duration < 0 {
		errs = append(errs, fmt.Errorf("cache.verificationTTL %s: must not be negative", c.Cache.VerificationTTL.Duration))
	}
	for i := range c.Policies {
		if err := c.Policies[i].Validate(); err != nil {
			errs = append(errs, fmt.Errorf("policies[%d]: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// Validate checks one policy: a valid glob, and exactly one of keys, keyless or
// insecureAcceptUnsigned (mixing them would make it unclear what a pass means).
func (p *Policy) Validate() error {
	re, err := compileGlob(p.Match)
	if err != nil {
		return fmt.Errorf("match %q: %w", p.Match, err)
	}
	p.re = re
	if err := validateProjects(p.Projects); err != nil {
		return fmt.Errorf("policy %q: %w", p.Match, err)
	}
	n := 0
	for _, set := range []bool{len(p.Keys) > 0, p.Keyless != nil, p.InsecureAcceptUnsigned} {
		if set {
			n++
		}
	}
	if err := p.validateKinds(n); err != nil {
		return fmt.Errorf("policy %q: %w", p.Match, err)
	}
	if p.AllowUnboundTags && p.RequireTagBinding {
		return fmt.Errorf("policy %q: allowUnboundTags contradicts requireTagBinding: remove requireTagBinding (deprecated; binding is the default)", p.Match)
	}
	if p.Provenance != nil {
		if p.InsecureAcceptUnsigned {
			return fmt.Errorf("policy %q: provenance needs signed attestations: it cannot go with insecureAcceptUnsigned", p.Match)
		}
		if err := p.Provenance.Validate(); err != nil {
			return fmt.Errorf("policy %q: %w", p.Match, err)
		}
	}
	if p.Keyless != nil {
		return p.Keyless.Validate()
	}
	return nil
}

// Validate checks that a keyless identity names both an issuer and a subject (exact or anchored
// regexp): a certificate from the trusted root alone proves nothing about who signed.
func (k *Keyless) Validate() error {
	if k.Issuer == "" && k.IssuerRegExp == "" {
		return errors.New("keyless: issuer or issuerRegExp is required")
	}
	if k.Subject == "" && k.SubjectRegExp == "" {
		return errors.New("keyless: subject or subjectRegExp is required")
	}
	for _, f := range []struct{ name, re string }{{"issuerRegExp", k.IssuerRegExp}, {"subjectRegExp", k.SubjectRegExp}} {
		name, re := f.name, f.re
		if _, err := regexp.Compile(re); err != nil {
			return fmt.Errorf("keyless: %w", err)
		}
		if err := CheckAnchored(name, re); err != nil {
			return fmt.Errorf("keyless: %w", err)
		}
	}
	return nil
}

// compileGlob turns a repository glob into an anchored regexp (see Glob), after the host
// normalisation Parse applies, so that a Policy built in code is matched the same way.
func compileGlob(glob string) (*regexp.Regexp, error) {
	if glob == "" {
		return nil, errors.New("empty glob")
	}
	return Glob(normalizeGlob(glob))
}

// Glob turns a glob into an anchored regexp: "**" matches across slashes, "*" and "?" do not;
// brackets and braces are refused. Repository globs, provenance values and replication rules use it.
func Glob(glob string) (*regexp.Regexp, error) {
	if glob == "" {
		return nil, errors.New("empty glob")
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			if i+1 < len(glob) && glob[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[', ']', '{', '}':
			return nil, fmt.Errorf("character %q is not supported in globs", c)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

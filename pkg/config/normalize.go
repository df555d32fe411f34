package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// normalize rewrites every host in the configuration (registries, mirrors, the host part of policy
// globs) as registry.NormalizeHost spells it, the form references are parsed into, so that
// "HUB.EXAMPLE.COM", "hub.example.com:443" and "hub.example.com." all find the same registry entry and
// policy.
func (c *Config) normalize() error {
	var errs []error
	for i := range c.Registries {
		r := &c.Registries[i]
		if err := normalizeEndpoint(&r.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("registries[%d]: %w", i, err))
		}
		for j := range r.Mirrors {
			if err := normalizeEndpoint(&r.Mirrors[j]); err != nil {
				errs = append(errs, fmt.Errorf("registries[%d].mirrors[%d]: %w", i, j, err))
			}
		}
	}
	for i := range c.Policies {
		c.Policies[i].Match = normalizeGlob(c.Policies[i].Match)
	}
	return errors.Join(errs...)
}

// normalizeEndpoint normalises the host; port 443 with plainHTTP is refused, since the normalised
// host (without the port) would then be reached over HTTP on port 80.
func normalizeEndpoint(e *Endpoint) error {
	if e.PlainHTTP && strings.HasSuffix(e.Host, ":443") {
		return fmt.Errorf("host %q with plainHTTP: port 443 is the HTTPS port; serve plain HTTP on another port", e.Host)
	}
	e.Host = registry.NormalizeHost(e.Host)
	return nil
}

// normalizeGlob normalises the host part of a repository glob (before the first slash); wildcards in
// it are kept as they are.
func normalizeGlob(glob string) string {
	host, path, ok := strings.Cut(glob, "/")
	if !ok {
		return glob // "**": no host part to normalise
	}
	return registry.NormalizeHost(host) + "/" + path
}

// normalizeRepository normalises the host part of "host[:port]/path".
func normalizeRepository(repository string) string {
	host, path, ok := strings.Cut(repository, "/")
	if !ok {
		return repository
	}
	return registry.NormalizeHost(host) + "/" + path
}

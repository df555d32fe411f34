package config

import "github.com/gitless-dev/gitless/pkg/registry"

// EndpointOptions returns base with ep's access settings (plain HTTP, CA file, TLS verification,
// credentials file) and the configured request timeout applied. The sidecar opens every mirror and
// upstream with it, and `kubectl gitless verify|render --policy` open the upstream with it, so a
// setting in the config means the same thing everywhere.
func (c *Config) EndpointOptions(ep Endpoint, base registry.Options) registry.Options {
	o := base
	o.PlainHTTP = ep.PlainHTTP
	o.CAFile = ep.CAFile
	o.InsecureSkipTLSVerify = ep.InsecureSkipTLSVerify
	if ep.CredentialsFile != "" {
		o.DockerConfig = ep.CredentialsFile
	}
	if d := c.Limits.RequestTimeout.Duration; d > 0 {
		o.RequestTimeout = d
	}
	return o
}

// RegistryOptions returns base with the settings the configuration gives host applied: its
// registries entry, else the first mirror entry naming host (a zone registry read directly), else
// base unchanged.
func (c *Config) RegistryOptions(host string, base registry.Options) registry.Options {
	if reg := c.RegistryFor(host); reg != nil {
		return c.EndpointOptions(reg.Endpoint, base)
	}
	for _, reg := range c.Registries {
		for _, m := range reg.Mirrors {
			if m.Host == host {
				return c.EndpointOptions(m, base)
			}
		}
	}
	return base
}

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

// RegistryOptions returns base with the settings of host's registries entry applied, or base
// unchanged when the configuration does not list host.
func (c *Config) RegistryOptions(host string, base registry.Options) registry.Options {
	reg := c.RegistryFor(host)
	if reg == nil {
		return base
	}
	return c.EndpointOptions(reg.Endpoint, base)
}

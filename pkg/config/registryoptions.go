package config

import "github.com/gitless-dev/gitless/pkg/registry"

// EndpointOptions returns base with ep's access settings (plain HTTP, CA file, TLS verification,
// credentials file) and the configured request timeout applied, for a request that names no Argo CD
// project (see EndpointOptionsFor).
func (c *Config) EndpointOptions(ep Endpoint, base registry.Options) registry.Options {
	return c.EndpointOptionsFor(ep, "", base)
}

// EndpointOptionsFor returns base with ep's access settings (plain HTTP, CA file, TLS verification,
// the credentials file for project) and the configured request timeout applied. The sidecar opens
// every mirror and upstream with it, and `kubectl gitless verify|render --policy` open the upstream
// with it, so a setting in the config means the same thing everywhere. When ep has credentials
// scoped to projects and none applies to project, the endpoint is reached anonymously: base's
// username, password and docker config are not sent either.
func (c *Config) EndpointOptionsFor(ep Endpoint, project string, base registry.Options) registry.Options {
	o := base
	o.PlainHTTP = ep.PlainHTTP
	o.CAFile = ep.CAFile
	o.InsecureSkipTLSVerify = ep.InsecureSkipTLSVerify
	file, scoped := ep.CredentialsFileFor(project)
	switch {
	case file != "":
		o.DockerConfig = file
	case scoped:
		o.Anonymous = true
	}
	if d := c.Limits.RequestTimeout.Duration; d > 0 {
		o.RequestTimeout = d
	}
	return o
}

// RegistryOptions returns base with the settings the configuration gives host applied: its
// registries entry, else the first mirror entry naming host (a zone registry read directly), else
// base unchanged; for a request that names no Argo CD project.
func (c *Config) RegistryOptions(host string, base registry.Options) registry.Options {
	return c.RegistryOptionsFor(host, "", base)
}

// RegistryOptionsFor is RegistryOptions for a request of an Argo CD project, whose scoped
// credentials apply (see EndpointOptionsFor).
func (c *Config) RegistryOptionsFor(host, project string, base registry.Options) registry.Options {
	if reg := c.RegistryFor(host); reg != nil {
		return c.EndpointOptionsFor(reg.Endpoint, project, base)
	}
	for _, reg := range c.Registries {
		for _, m := range reg.Mirrors {
			if m.Host == host {
				return c.EndpointOptionsFor(m, project, base)
			}
		}
	}
	return base
}

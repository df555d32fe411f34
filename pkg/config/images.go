package config

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// ImagesMirror is a zone's images mirror: the registry and path prefix under which the zone keeps
// its copies of upstream images, each under its full upstream name (a copy of docker.io/library/nginx
// lives at MIRROR/docker.io/library/nginx), as `kubectl gitless copy --images` places them. With one
// configured, the sidecar points every image reference that the verified images lock pins at the
// mirror's copy by digest; without one, rendered output is left exactly as rendered.
type ImagesMirror struct {
	// Mirror is HOST[:PORT][/PREFIX], without scheme.
	Mirror string `json:"mirror"`
	// The transport settings of the mirror, as for any endpoint; they are used where the mirror is
	// contacted (`kubectl gitless render --check-images`). The sidecar never contacts it: the
	// kubelet pulls from it.
	PlainHTTP             bool   `json:"plainHTTP,omitempty"`
	CAFile                string `json:"caFile,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
	CredentialsFile       string `json:"credentialsFile,omitempty"`
}

// Host returns the mirror's registry host.
func (m *ImagesMirror) Host() string { h, _, _ := strings.Cut(m.Mirror, "/"); return h }

// Validate checks that Mirror names a registry host (with a dot, a port or localhost) and a valid
// repository path prefix: "mirror" alone would be read as Docker Hub's library/mirror.
func (m *ImagesMirror) Validate() error {
	if m.Mirror == "" {
		return fmt.Errorf("images.mirror is required (HOST[:PORT]/PREFIX, e.g. zone-a.example.com/mirror)")
	}
	probe := strings.TrimSuffix(m.Mirror, "/") + "/docker.io/library/x"
	named, err := reference.ParseNormalizedNamed(probe)
	if err != nil || named.String() != probe || strings.Contains(m.Mirror, "://") {
		return fmt.Errorf("images.mirror %q: want HOST[:PORT]/PREFIX without scheme, tag or digest, with a registry host "+
			"(a dot, a port or localhost), e.g. zone-a.example.com/mirror", m.Mirror)
	}
	return nil
}

// ImagesMirrorFor returns the images mirror for an image repository (host/path, as the images lock
// names it): its registries entry's images mirror, else the global one, else nil.
func (c *Config) ImagesMirrorFor(repo string) *ImagesMirror {
	host, _, _ := strings.Cut(repo, "/")
	if reg := c.RegistryFor(host); reg != nil && reg.Images != nil {
		return reg.Images
	}
	return c.Images
}

// HasImagesMirror reports whether any images mirror is configured.
func (c *Config) HasImagesMirror() bool {
	if c.Images != nil {
		return true
	}
	for _, r := range c.Registries {
		if r.Images != nil {
			return true
		}
	}
	return false
}

// ImagesMirrorOptions returns base with the mirror's transport settings applied.
func (c *Config) ImagesMirrorOptions(m *ImagesMirror, base registry.Options) registry.Options {
	return c.EndpointOptions(Endpoint{Host: m.Host(), PlainHTTP: m.PlainHTTP, CAFile: m.CAFile,
		InsecureSkipTLSVerify: m.InsecureSkipTLSVerify, CredentialsFile: m.CredentialsFile}, base)
}

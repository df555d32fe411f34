package config

import (
	"fmt"
	"strings"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// MirrorPath maps an upstream repository path to this mirror's path: StripPrefix is removed, then
// PathPrefix is put in front ("platform/guestbook" becomes "zone-a/guestbook" with stripPrefix
// "platform" and pathPrefix "zone-a"). ok is false when the path is not under StripPrefix: the mirror
// does not hold that repository.
func (e Endpoint) MirrorPath(upstream string) (path string, ok bool) {
	rest, ok := cutPathPrefix(upstream, e.StripPrefix)
	if !ok {
		return "", false
	}
	return joinPath(e.PathPrefix, rest), true
}

// UpstreamPath is MirrorPath's inverse: the upstream repository path of a path on this mirror, ok
// false when the path is not under PathPrefix.
func (e Endpoint) UpstreamPath(mirror string) (path string, ok bool) {
	rest, ok := cutPathPrefix(mirror, e.PathPrefix)
	if !ok {
		return "", false
	}
	return joinPath(e.StripPrefix, rest), true
}

// UpstreamOf maps a repository on a configured mirror ("host[:port]/path") back to its upstream
// name, so that tag bindings, which name the hub's repository, can be checked for a copy. ok is false
// for a host that is not a mirror (or is itself a configured registry).
func (c *Config) UpstreamOf(repository string) (upstream string, ok bool) {
	host, path, found := strings.Cut(normalizeRepository(repository), "/")
	if !found || c.RegistryFor(host) != nil {
		return "", false
	}
	for _, r := range c.Registries {
		for _, m := range r.Mirrors {
			if registry.NormalizeHost(m.Host) != host {
				continue
			}
			if up, ok := m.UpstreamPath(path); ok {
				return registry.NormalizeHost(r.Host) + "/" + up, true
			}
		}
	}
	return "", false
}

// UpstreamReference is UpstreamOf for a whole reference: ref's repository mapped back to its upstream,
// with ref's tag and digest kept. ok is false for a layout, or a repository that is not on a mirror.
func (c *Config) UpstreamReference(ref registry.Reference) (registry.Reference, bool) {
	if ref.IsLayout() {
		return ref, false
	}
	up, ok := c.UpstreamOf(ref.Name())
	if !ok {
		return ref, false
	}
	u, err := registry.ParseReference(up)
	if err != nil {
		return ref, false
	}
	u.Tag, u.Digest = ref.Tag, ref.Digest
	return u, true
}

// validatePathPrefix checks a pathPrefix or stripPrefix: repository path segments, no leading or
// trailing slash.
func validatePathPrefix(field, p string) error {
	if p == "" {
		return nil
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%s %q: write repository path segments without leading or trailing slashes, like \"zone-a\" or \"proxy/platform\"", field, p)
		}
	}
	return nil
}

// cutPathPrefix removes prefix from path at a segment boundary.
func cutPathPrefix(path, prefix string) (string, bool) {
	if prefix == "" {
		return path, true
	}
	rest, ok := strings.CutPrefix(path, prefix+"/")
	return rest, ok && rest != ""
}

func joinPath(prefix, path string) string {
	if prefix == "" {
		return path
	}
	return prefix + "/" + path
}

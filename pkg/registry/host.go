package registry

import (
	"net"
	"strings"
)

// defaultTLSPort is dropped by NormalizeHost: "hub.example.com:443" and "hub.example.com" name the
// same registry.
const defaultTLSPort = "443"

// NormalizeHost returns the one spelling of a registry host that policy matching and registry lookup
// compare: lower case (DNS names are case-insensitive), without the trailing dot of a fully qualified
// name and without the default HTTPS port. Other ports are kept: "hub:5000" and "hub" are different
// registries. Without this, "HUB.EXAMPLE.COM" or "hub.example.com:443" would fall through to a later
// policy and skip the registry's settings.
//
// Docker Hub aliases (docker.io, index.docker.io) are left as written, as the reference parser
// (oras-go) does not alias them either.
func NormalizeHost(host string) string {
	h, port := splitPort(strings.ToLower(host))
	h = strings.TrimSuffix(h, ".")
	if port == "" || port == defaultTLSPort {
		return h
	}
	return net.JoinHostPort(strings.Trim(h, "[]"), port)
}

// splitPort splits "host:port" and "[v6]:port"; a host without a port (including a bracketed or bare
// IPv6 address) comes back whole.
func splitPort(s string) (host, port string) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		if strings.Contains(h, ":") {
			return "[" + h + "]", p
		}
		return h, p
	}
	return s, ""
}

// Package sandbox takes away from the renderer's process what artifact content must never reach:
// the network (HTTP, DNS), other programs, and unbounded memory. It is meant for the renderer
// child process, which does nothing but render, so the process-wide changes it makes are safe.
package sandbox

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
)

// ErrNetworkDisabled is what every HTTP request and DNS lookup returns after Lockdown.
var ErrNetworkDisabled = errors.New("network access is disabled while rendering")

// Lockdown makes the process unable to reach the network through the standard library's
// defaults and unable to find programs on PATH. kustomize's file loader fetches URLs with an
// http.Client that uses http.DefaultTransport (its own client field cannot be set from outside)
// and clones git bases by running git, so this is what keeps a reference that the checks before
// krusty missed from reaching anything: it fails closed.
func Lockdown() {
	http.DefaultTransport = refuse{}
	http.DefaultClient = &http.Client{Transport: refuse{}}
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, ErrNetworkDisabled
	}}
	for _, name := range []string{"PATH", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "GIT_DIR"} {
		_ = os.Unsetenv(name)
	}
}

type refuse struct{}

// RoundTrip refuses every request.
func (refuse) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return nil, ErrNetworkDisabled
}

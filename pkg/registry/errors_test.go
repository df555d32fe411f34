package registry

import (
	"errors"
	"net"
	"strings"
	"testing"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// TestClassifyHintsFollowSetHints: the CLI's hints name flags, the sidecar's name config keys, and
// neither leaks the other's words.
func TestClassifyHintsFollowSetHints(t *testing.T) {
	t.Cleanup(func() { SetHints(CLIHints) })
	failures := map[string]error{
		"unreachable":  &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
		"plain HTTP":   errors.New("http: server gave HTTP response to HTTPS client"),
		"unauthorized": auth.ErrBasicCredentialNotFound,
		"not found":    errdef.ErrNotFound,
	}
	cases := []struct {
		name       string
		hints      Hints
		want       map[string]string
		mustNotSay string
	}{
		{"cli", CLIHints, map[string]string{"unreachable": "--plain-http", "plain HTTP": "--plain-http",
			"unauthorized": "--username", "not found": "kubectl gitless list"}, "plainHTTP: true"},
		{"sidecar", ConfigHints, map[string]string{"unreachable": "plainHTTP: true", "plain HTTP": "plainHTTP: true",
			"unauthorized": "credentialsFile", "not found": "targetRevision"}, "--"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			SetHints(c.hints)
			for name, failure := range failures {
				msg := Classify(failure, "resolving hub/app:1").Error()
				if !strings.Contains(msg, c.want[name]) {
					t.Errorf("%s: %q lacks %q", name, msg, c.want[name])
				}
				if strings.Contains(msg, c.mustNotSay) {
					t.Errorf("%s: %q says %q", name, msg, c.mustNotSay)
				}
			}
		})
	}
}

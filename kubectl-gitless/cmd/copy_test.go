package cmd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
)

// TestCopyRerunSaysNothingWritten: the first copy says what it pushed and tagged; a re-run with
// nothing new says it wrote nothing.
func TestCopyRerunSaysNothingWritten(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	zone := testregistry.New(t, testregistry.Distribution)
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "cli")
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
	mustRun(t, "publish", exampleCopy(t, "plain"), hub.Host+"/platform/app:1.0.0", "--sign", "--key", filepath.Join(dir, "cosign.key"), "-q")
	first := mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", zone.Host+"/platform/app")
	if !strings.Contains(first, "objects pushed, tagged 1.0.0") {
		t.Fatalf("first copy: %q", first)
	}
	again := mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", zone.Host+"/platform/app")
	if !strings.Contains(again, "already in place, nothing written") {
		t.Fatalf("re-run: %q", again)
	}
}

// TestHubDownExitsUnreachable: a source behind a load balancer that is down (closed without a
// response, reset, 502/503/504) exits 5, like a refused connection, and the error says what was seen.
func TestHubDownExitsUnreachable(t *testing.T) {
	var sw testregistry.Switch
	hub := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(sw.Middleware))
	zone := testregistry.New(t, testregistry.Referrers)
	mustRun(t, "publish", exampleCopy(t, "plain"), hub.Host+"/platform/app:1.0.0", "-q")
	seen := map[testregistry.Fault]string{testregistry.FaultEOF: "EOF", testregistry.FaultReset: "reset",
		testregistry.Fault502: "502", testregistry.Fault503: "503", testregistry.Fault504: "504"}
	for _, f := range testregistry.HubDownFaults {
		t.Run(string(f), func(t *testing.T) {
			sw.Set(f)
			defer sw.Set(testregistry.NoFault)
			_, _, err := run(t, append([]string{"copy", hub.Host + "/platform/app:1.0.0", zone.Host + "/platform/app"}, registryFlags(t)...)...)
			if ExitCode(err) != ExitUnreachable || !strings.Contains(err.Error(), seen[f]) {
				t.Fatalf("exit %d, err %v; want %d naming %q", ExitCode(err), err, ExitUnreachable, seen[f])
			}
		})
	}
}

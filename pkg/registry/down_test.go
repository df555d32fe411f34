package registry_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestHubDownIsUnreachable: behind a load balancer a registry that is down closes the connection
// without a response, resets it, or answers 502/503/504 until the retries run out. Each is
// ErrUnreachable (so the mirror rules apply), retried first, and the error names what was seen.
func TestHubDownIsUnreachable(t *testing.T) {
	want := map[testregistry.Fault]string{
		testregistry.FaultEOF:   "connection closed without a response (EOF) after 3 tries",
		testregistry.FaultReset: "after 3 tries",
		testregistry.Fault502:   "502 Bad Gateway after 3 tries",
		testregistry.Fault503:   "503 Service Unavailable after 3 tries",
		testregistry.Fault504:   "504 Gateway Timeout after 3 tries",
	}
	for _, f := range testregistry.HubDownFaults {
		t.Run(string(f), func(t *testing.T) {
			var sw testregistry.Switch
			var attempts atomic.Int64
			reg := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					attempts.Add(1)
					sw.Middleware(next).ServeHTTP(w, r)
				})
			}))
			opts := testOptions()
			seed(t, reg.Host, "app", opts)
			sw.Set(f)
			attempts.Store(0)
			opts.MaxRetries = 2
			_, err := resolve(t, opts, reg.Host+"/app:v1")
			if !errors.Is(err, registry.ErrUnreachable) {
				t.Fatalf("err = %v, want ErrUnreachable", err)
			}
			if !strings.Contains(err.Error(), want[f]) || !strings.Contains(err.Error(), "try again later") {
				t.Fatalf("error %q does not name what was seen (%q) and the next step", err, want[f])
			}
			if n := attempts.Load(); n != 3 {
				t.Errorf("attempts = %d, want 1 + MaxRetries(2)", n)
			}
			t.Logf("%v", err)
		})
	}
}

package registry_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// trickle serves blob downloads in pieces, pause apart; stallAfter > 0 stops sending after that many
// pieces and holds the connection open.
func trickle(pieces int, pause time.Duration, stallAfter int, enabled *atomic.Bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !enabled.Load() || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			step := (len(body) + pieces - 1) / pieces
			for i := 0; i < len(body); i += step {
				if stallAfter > 0 && i/step == stallAfter {
					select {
					case <-r.Context().Done():
					case <-time.After(10 * time.Second):
					}
					return
				}
				w.Write(body[i:min(i+step, len(body))])
				w.(http.Flusher).Flush()
				time.Sleep(pause)
			}
		})
	}
}

// TestRequestTimeoutIsPerRequestNotPerDownload: a blob that keeps arriving for longer than the request
// timeout is fetched; one that stops arriving fails as unreachable within about the timeout.
func TestRequestTimeoutIsPerRequestNotPerDownload(t *testing.T) {
	for _, tt := range []struct {
		name       string
		stallAfter int
	}{{"slow but steady", 0}, {"stalled", 2}} {
		t.Run(tt.name, func(t *testing.T) {
			var on atomic.Bool
			reg := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(trickle(6, 300*time.Millisecond, tt.stallAfter, &on)))
			opts := testOptions()
			_, layer, data := seed(t, reg.Host, "app", opts)
			on.Store(true)
			opts.RequestTimeout, opts.MaxRetries = time.Second, 0
			repo, err := opts.Remote(reg.Host + "/app")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			got, err := content.FetchAll(context.Background(), repo, layer)
			took := time.Since(start)
			if tt.stallAfter == 0 {
				if err != nil || string(got) != string(data) {
					t.Fatalf("a download still arriving after the request timeout failed after %v: %v", took, err)
				}
				return
			}
			if err == nil {
				t.Fatal("a stalled download succeeded")
			}
			if err := registry.Classify(err, "fetching"); !errors.Is(err, registry.ErrUnreachable) {
				t.Errorf("stalled download: %v, want ErrUnreachable", err)
			}
			if took > 3*time.Second {
				t.Errorf("stalled download failed only after %v", took)
			}
		})
	}
}

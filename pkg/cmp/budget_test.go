package cmp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// endlessReferrers answers every referrers listing with one more page, forever.
func endlessReferrers(pages *atomic.Int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/referrers/") {
				next.ServeHTTP(w, r)
				return
			}
			n := pages.Add(1)
			index := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{{
				MediaType: ocispec.MediaTypeImageManifest, ArtifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
				Digest: digest.FromString(fmt.Sprint("page ", n)), Size: 100}}}
			index.SchemaVersion = 2
			w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
			w.Header().Set("Link", fmt.Sprintf("<%s?last=%d>; rel=\"next\"", r.URL.Path, n))
			json.NewEncoder(w).Encode(index)
		})
	}
}

// Issue 16 item 12: a mirror that stalls, or lists referrers page after page, costs its own budget
// (a share of totalTimeout) once; the hub fallback still renders within the total budget.
func TestGenerateBadMirrorCostsItsBudgetOnly(t *testing.T) {
	release := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // answer nothing until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer stalled.Close()
	defer close(release)
	var pages atomic.Int64
	w := newWorld(t, testregistry.Referrers, nil, endlessReferrers(&pages))
	cases := map[string]string{
		"stalled":                strings.TrimPrefix(stalled.URL, "http://"),
		"endless referrer pages": w.zone.Host,
	}
	for name, mirror := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := w.config(t, "limits: {totalTimeout: 8s}\n")
			cfg.Registries[0].Mirrors = []config.Endpoint{{Host: mirror, PlainHTTP: true}}
			var out, logs bytes.Buffer
			p := &cmp.Pipeline{Config: cfg, Logger: newLogger(&logs), Registry: registry.DefaultOptions()}
			p.Registry.MaxRetries = 1
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			if err := p.Generate(ctx, cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["plain"]}}, &out); err != nil || out.Len() == 0 {
				t.Fatalf("generate with a %s mirror: %v\n%s", name, err, logs.String())
			}
			t.Logf("rendered in %s with a %s mirror (%d referrer pages served)", time.Since(start).Round(time.Millisecond), name, pages.Load())
		})
	}
	if n := pages.Load(); n > 20 {
		t.Fatalf("the endless mirror served %d referrer pages, want at most 20", n)
	}
}

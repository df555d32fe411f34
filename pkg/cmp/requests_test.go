package cmp_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
)

// TestGenerateColdTagRequests: a cold generate by tag against the hub alone makes 6 requests on a
// registry with the referrers API (the tag with its manifest, the referrers list, the legacy .sig
// tag, the signature manifest and bundle, the layer): the tag is read with one GET that also serves
// the manifest, and referrers are listed with their artifactType instead of fetching each one to
// learn it. Every one of those checks still runs, so the count is an upper bound per registry kind.
func TestGenerateColdTagRequests(t *testing.T) {
	want := map[testregistry.Kind]int64{testregistry.Referrers: 6, testregistry.Distribution: 7} // + the referrers tag-schema index
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld(t, kind, nil, nil)
			cfg, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries: [{host: %s, plainHTTP: true}]
policies: [{match: "%s/platform/**", keys: [%s]}]
`, w.hub.Host, w.hub.Host, filepath.Join(w.keyDir, "cosign.pub"))))
			must(t, err)
			c, err := cache.New(t.TempDir(), 0)
			must(t, err)
			before := w.hub.Requests()
			if _, logs, err := generate(t, cfg, c, cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["kustomize"]}}); err != nil {
				t.Fatalf("cold: %v\n%s", err, logs)
			}
			got := w.hub.Requests() - before
			t.Logf("cold generate by tag on %s: %d requests", kind, got)
			if got > want[kind] {
				t.Fatalf("cold generate by tag made %d requests, want at most %d", got, want[kind])
			}
		})
	}
}

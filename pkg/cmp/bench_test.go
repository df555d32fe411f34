package cmp_test

import (
	"context"
	"io"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// BenchmarkGenerate measures one sidecar generate of the signed Helm example from in-process
// registries: cold (empty cache: resolve, verify, fetch, extract, render) and warm (pinned digest,
// everything cached: no network).
func BenchmarkGenerate(b *testing.B) {
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(b *testing.B) {
			w := newWorld(b, testregistry.Referrers, nil, nil)
			cfg := w.config(b, "")
			dir := b.TempDir()
			c, err := cache.New(dir, 0)
			must(b, err)
			ref, _ := registry.ParseReference(w.refs["helm"])
			env := cmp.Env{AppName: "gb", AppNamespace: "apps", Params: cmp.Params{Ref: ref.String()}}
			p := &cmp.Pipeline{Config: cfg, Registry: registry.DefaultOptions()}
			if warm {
				p.Cache = c
				must(b, p.Generate(context.Background(), env, io.Discard))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !warm {
					p.Cache, err = cache.New(b.TempDir(), 0)
					must(b, err)
				}
				if err := p.Generate(context.Background(), env, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package cmp_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestGenerateHubDownBehindLoadBalancer: a hub that is down behind a load balancer (connection closed
// without a response, reset, or 502/503/504 through the retries) counts as unreachable for the mirror
// rules, as a refused connection does: a pinned digest renders from the zone's signed copy, and so
// does a tag while the hub answered within mirrorTagFreshness. Once found down, the hub is not asked
// again in the same sync.
func TestGenerateHubDownBehindLoadBalancer(t *testing.T) {
	var sw testregistry.Switch
	w := newWorld(t, testregistry.Referrers, sw.Middleware, nil)
	ref, err := registry.ParseReference(w.refs["kustomize"])
	must(t, err)
	repo, err := w.opts.Open(ref)
	must(t, err)
	d, err := artifact.ResolveDescriptor(context.Background(), repo, ref)
	must(t, err)
	pinned := ref.WithDigest(d.Digest).String()
	fresh := w.config(t, "")
	fresh.Registries[0].MirrorTagFreshness = config.Duration{Duration: time.Hour}
	want := examples["kustomize"].want

	for _, f := range testregistry.HubDownFaults {
		t.Run(string(f), func(t *testing.T) {
			sw.Set(f)
			defer sw.Set(testregistry.NoFault)
			hub := w.hub.Requests()
			out, logs, err := generate(t, w.config(t, ""), nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: pinned}})
			if err != nil || !strings.Contains(out, want) {
				t.Fatalf("pinned digest with the hub down (%s): %v\n%s", f, err, logs)
			}
			// found down once, the hub is not asked again in the same sync (1 + MaxRetries attempts)
			if n := w.hub.Requests() - hub; n > 2 {
				t.Errorf("pinned digest: the hub was asked %d times, want at most 2", n)
			}
			c, err := cache.New(t.TempDir(), 0)
			must(t, err)
			must(t, c.MarkContact(w.hub.Host)) // the hub answered a moment ago
			hub = w.hub.Requests()
			out, logs, err = generate(t, fresh, c, cmp.Env{AppName: "a", Params: cmp.Params{Ref: ref.String()}})
			if err != nil || !strings.Contains(out, want) {
				t.Fatalf("tag within mirrorTagFreshness with the hub down (%s): %v\n%s", f, err, logs)
			}
			if !strings.Contains(logs, "resolving the tag at a mirror") {
				t.Fatalf("the tag was not resolved at the mirror:\n%s", logs)
			}
			if n := w.hub.Requests() - hub; n > 2 {
				t.Errorf("tag: the hub was asked %d times, want at most 2", n)
			}
		})
	}
}

// TestGenerateZoneDownBehindLoadBalancer: the same faults at the zone mirror cost time only: every
// object comes from the hub instead.
func TestGenerateZoneDownBehindLoadBalancer(t *testing.T) {
	var sw testregistry.Switch
	w := newWorld(t, testregistry.Distribution, nil, sw.Middleware)
	cfg := w.config(t, "")
	for _, f := range testregistry.HubDownFaults {
		t.Run(string(f), func(t *testing.T) {
			sw.Set(f)
			defer sw.Set(testregistry.NoFault)
			out, logs, err := generate(t, cfg, nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["plain"]}})
			if err != nil || !strings.Contains(out, examples["plain"].want) {
				t.Fatalf("zone down (%s): %v\n%s", f, err, logs)
			}
		})
	}
}

package cmp_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestGenerateMirrorByHostAloneTakesItsRegistrySettings: `mirrors: [ZONE]` reaches the zone with
// the settings of the zone's own registries entry (here plainHTTP), not HTTPS with defaults, so with
// the hub down a pinned digest renders from the zone; a plainHTTP: false given on the mirror wins.
func TestGenerateMirrorByHostAloneTakesItsRegistrySettings(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	ref, err := registry.ParseReference(w.refs["plain"])
	must(t, err)
	repo, err := w.opts.Open(ref)
	must(t, err)
	d, err := artifact.ResolveDescriptor(context.Background(), repo, ref)
	must(t, err)
	env := cmp.Env{AppName: "a", Params: cmp.Params{Ref: ref.WithDigest(d.Digest).String()}}
	cfg := func(mirror string) *config.Config {
		c, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: true
    mirrors: [%s]
  - host: %s
    plainHTTP: true
policies:
  - match: "%s/platform/**"
    keys: [%s]
`, w.hub.Host, mirror, w.zone.Host, w.hub.Host, filepath.Join(w.keyDir, "cosign.pub"))))
		must(t, err)
		return c
	}
	w.hub.Close()
	out, logs, err := generate(t, cfg(`"`+w.zone.Host+`"`), nil, env)
	if err != nil || !strings.Contains(out, examples["plain"].want) {
		t.Fatalf("mirror by host alone, hub down: %v\n%s", err, logs)
	}
	if _, logs, err := generate(t, cfg(`{host: "`+w.zone.Host+`", plainHTTP: false}`), nil, env); err == nil {
		t.Fatalf("plainHTTP: false on the mirror was overridden by the registries entry\n%s", logs)
	}
}

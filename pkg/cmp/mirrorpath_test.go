package cmp_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestGenerateCopyUnderAnotherPath: a zone keeps its copy of hub/platform/guestbook under another
// path (zone-a/guestbook, or a Harbor proxy-cache project that prefixes the upstream path). With the
// mirror's path mapping in the config, the pipeline reads the copy there (the hub is down) and renders
// it by tag, the tag binding checked against the upstream path the signatures name; without the
// mapping the mirror is asked for a repository it does not have.
func TestGenerateCopyUnderAnotherPath(t *testing.T) {
	tests := []struct{ name, mirrorPath, mapping string }{
		{"strip and prefix", "zone-a/guestbook", ", stripPrefix: platform, pathPrefix: zone-a"},
		{"proxy-cache prefix", "hub-cache/platform/guestbook", ", pathPrefix: hub-cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := testregistry.New(t, testregistry.Referrers)
			zone := testregistry.New(t, testregistry.Referrers)
			opts := registry.DefaultOptions()
			opts.PlainHTTP, opts.MaxRetries = true, 1
			keyDir := t.TempDir()
			ref := publishSigned(t, opts, keyDir, hub.Host+"/platform/guestbook:1.4.0")
			copyTo(t, opts, ref, zone.Host+"/"+tt.mirrorPath)

			cfgFor := func(mapping string) *config.Config {
				c, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: true
    mirrorTagFreshness: 1h
    mirrors: [{host: %s, plainHTTP: true%s}]
policies:
  - match: "%s/platform/**"
    keys: [%s]
`, hub.Host, zone.Host, mapping, hub.Host, filepath.Join(keyDir, "cosign.pub"))))
				must(t, err)
				return c
			}
			c, err := cache.New(t.TempDir(), 0)
			must(t, err)
			env := cmp.Env{AppName: "guestbook", AppNamespace: "apps", Params: cmp.Params{Ref: ref.String()}}
			if _, logs, err := generate(t, cfgFor(tt.mapping), c, env); err != nil { // hub up: marks the contact
				t.Fatalf("hub up: %v\n%s", err, logs)
			}
			hub.Close()
			empty, err := cache.New(t.TempDir(), 0) // nothing cached: every byte from the mirror
			must(t, err)
			must(t, empty.MarkContact(hub.Host))
			out, logs, err := generate(t, cfgFor(tt.mapping), empty, env)
			if err != nil || !strings.Contains(out, "kind: Deployment") {
				t.Fatalf("copy at %s, hub down: err=%v\n%s", tt.mirrorPath, err, logs)
			}
			if _, _, err := generate(t, cfgFor(""), empty, env); err == nil {
				t.Fatal("without the mapping the mirror has no platform/guestbook; generate succeeded")
			}
		})
	}
}

// publishSigned publishes examples/plain at refStr and signs its tag with a new key in keyDir.
func publishSigned(t *testing.T, opts registry.Options, keyDir, refStr string) registry.Reference {
	t.Helper()
	ctx := context.Background()
	ref, err := registry.ParseReference(refStr)
	must(t, err)
	repo, err := opts.Open(ref)
	must(t, err)
	_, err = artifact.Publish(ctx, repo, ref, examples["plain"].dir, []string{ref.Tag}, artifact.PublishOptions{Created: time.Unix(1700000000, 0)})
	must(t, err)
	priv, pub, err := signature.GenerateKeyPair([]byte("pw"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(keyDir, "cosign.key"), priv, 0o600))
	must(t, os.WriteFile(filepath.Join(keyDir, "cosign.pub"), pub, 0o600))
	signer, err := signature.LoadSigner(filepath.Join(keyDir, "cosign.key"), []byte("pw"))
	must(t, err)
	_, _, err = signature.SignReference(ctx, repo, signer, ref.Name(), ref.Tag)
	must(t, err)
	return ref
}

// copyTo copies ref with its signatures to the repository dst ("host/path"), keeping the tag.
func copyTo(t *testing.T, opts registry.Options, ref registry.Reference, dst string) {
	t.Helper()
	to, err := registry.ParseReference(dst + ":" + ref.Tag)
	must(t, err)
	from, err := opts.Open(ref)
	must(t, err)
	toRepo, err := opts.Open(to)
	must(t, err)
	_, err = artifact.Copy(context.Background(), from, ref, toRepo, to, nil, artifact.CopyOptions{})
	must(t, err)
}

// TestGenerateOCISourceAtZoneRegistry: in an air-gapped zone, Argo CD's OCI source names the zone's
// registry (the only one its repo-server reaches), with the digest Argo CD resolved there. That
// repository is a configured mirror of the hub: the sidecar treats it as the hub's repository (the
// hub's policy and tag bindings apply, sources are tried mirror first) instead of refusing it as a
// repository no policy covers; the tag binding is checked against the hub's name, so a copy at the
// zone under another tag is still refused.
func TestGenerateOCISourceAtZoneRegistry(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	zone := testregistry.New(t, testregistry.Referrers)
	opts := registry.DefaultOptions()
	opts.PlainHTTP, opts.MaxRetries = true, 1
	keyDir := t.TempDir()
	ref := publishSigned(t, opts, keyDir, hub.Host+"/platform/guestbook:1.4.0")
	copyTo(t, opts, ref, zone.Host+"/platform/guestbook")
	repo, err := opts.Open(ref)
	must(t, err)
	desc, err := repo.Resolve(context.Background(), ref.Tag)
	must(t, err)
	dgst := desc.Digest.String()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: true
    mirrorTagFreshness: 1h
    mirrors: [{host: %s, plainHTTP: true}]
policies:
  - match: "%s/platform/**"
    keys: [%s]
`, hub.Host, zone.Host, hub.Host, filepath.Join(keyDir, "cosign.pub"))))
	must(t, err)
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	env := cmp.Env{AppName: "guestbook", AppNamespace: "apps", RepoURL: "oci://" + zone.Host + "/platform/guestbook",
		Revision: dgst, TargetRevision: "1.4.0"}
	out, logs, err := generate(t, cfg, c, env)
	if err != nil || !strings.Contains(out, "kind: Deployment") {
		t.Fatalf("OCI source at the zone registry: err=%v\n%s", err, logs)
	}
	if !strings.Contains(logs, hub.Host+"/platform/guestbook") {
		t.Errorf("logs do not name the upstream repository:\n%s", logs)
	}
	env.TargetRevision = "2.0.0" // a tag no signature binds to this digest
	if _, _, err := generate(t, cfg, c, env); err == nil {
		t.Error("an unbound tag at the zone was accepted")
	}
	other := cmp.Env{AppName: "guestbook", AppNamespace: "apps", RepoURL: "oci://" + zone.Host + "/elsewhere/guestbook", Revision: dgst}
	if _, _, err := generate(t, cfg, c, other); err == nil {
		t.Error("a zone repository no policy covers was accepted")
	}
}

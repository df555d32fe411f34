package cmp_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

var examples = map[string]struct{ dir, want string }{
	"plain":     {"../../examples/plain", "kind: Deployment"},
	"kustomize": {"../../examples/kustomize/overlays/zone-a", "namespace: zone-a"},
	"helm":      {"../../examples/helm/guestbook", "kind: Deployment"},
}

type world struct {
	hub, zone *testregistry.Registry
	keyDir    string
	signer    *signature.Signer
	opts      registry.Options
	refs      map[string]string // name -> hub/repo:tag
}

// newWorld starts a hub and a zone registry of kind, publishes and signs each example on the hub
// and replicates it (with signatures) to the zone.
func newWorld(t testing.TB, kind testregistry.Kind, hubMW func(http.Handler) http.Handler, zoneMW func(http.Handler) http.Handler) *world {
	t.Helper()
	w := &world{opts: registry.DefaultOptions(), refs: map[string]string{}}
	w.opts.PlainHTTP, w.opts.MaxRetries = true, 1
	var hubOpts, zoneOpts []testregistry.Option
	if hubMW != nil {
		hubOpts = append(hubOpts, testregistry.WithMiddleware(hubMW))
	}
	if zoneMW != nil {
		zoneOpts = append(zoneOpts, testregistry.WithMiddleware(zoneMW))
	}
	w.hub = testregistry.New(t, kind, hubOpts...)
	w.zone = testregistry.New(t, kind, zoneOpts...)
	w.keyDir = t.TempDir()
	priv, pub, err := signature.GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(w.keyDir, "cosign.key"), priv, 0o600))
	must(t, os.WriteFile(filepath.Join(w.keyDir, "cosign.pub"), pub, 0o644))
	w.signer, err = signature.LoadSigner(filepath.Join(w.keyDir, "cosign.key"), []byte("pw"))
	must(t, err)
	for name, ex := range examples {
		w.refs[name] = w.publish(t, ex.dir, "platform/"+name, "1.4.0", true)
	}
	return w
}

func (w *world) publish(t testing.TB, dir, repoPath, tag string, sign bool) string {
	t.Helper()
	ctx := context.Background()
	ref, err := registry.ParseReference(w.hub.Host + "/" + repoPath + ":" + tag)
	must(t, err)
	repo, err := w.opts.Open(ref)
	must(t, err)
	_, err = artifact.Publish(ctx, repo, ref, dir, []string{tag}, artifact.PublishOptions{Created: time.Unix(1700000000, 0)})
	must(t, err)
	if sign {
		_, _, err = signature.SignReference(ctx, repo, w.signer, ref.Name(), tag)
		must(t, err)
	}
	zoneRef := ref
	zoneRef.Registry = w.zone.Host
	zoneRepo, err := w.opts.Open(zoneRef)
	must(t, err)
	_, err = artifact.Copy(ctx, repo, ref, zoneRepo, zoneRef, nil, artifact.CopyOptions{})
	must(t, err)
	return ref.String()
}

func (w *world) config(t testing.TB, extra string) *config.Config {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: true
    mirrors: [{host: %s, plainHTTP: true}]
policies:
  - match: "%s/platform/**"
    keys: [%s]
%s`, w.hub.Host, w.zone.Host, w.hub.Host, filepath.Join(w.keyDir, "cosign.pub"), extra)
	c, err := config.Parse([]byte(doc))
	must(t, err)
	return c
}

func generate(t *testing.T, cfg *config.Config, c *cache.Cache, env cmp.Env) (string, string, error) {
	t.Helper()
	var out, logs bytes.Buffer
	p := &cmp.Pipeline{Config: cfg, Cache: c, Logger: newLogger(&logs), Registry: registry.DefaultOptions()}
	p.Registry.MaxRetries = 1
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	err := p.Generate(ctx, env, &out)
	return out.String(), logs.String(), err
}

func TestGenerateRendersVerifiedArtifacts(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld(t, kind, nil, nil)
			cfg := w.config(t, "")
			for name, ex := range examples {
				t.Run(name+"/ref", func(t *testing.T) {
					out, logs, err := generate(t, cfg, nil, cmp.Env{AppName: "guestbook", AppNamespace: "apps", Params: cmp.Params{Ref: w.refs[name]}})
					if err != nil {
						t.Fatalf("generate: %v\n%s", err, logs)
					}
					if !strings.Contains(out, ex.want) {
						t.Fatalf("output lacks %q:\n%s", ex.want, out)
					}
				})
				t.Run(name+"/oci-source", func(t *testing.T) {
					ref, _ := registry.ParseReference(w.refs[name])
					repo, _ := w.opts.Open(ref)
					d, err := artifact.ResolveDescriptor(context.Background(), repo, ref)
					must(t, err)
					env := cmp.Env{AppName: "guestbook", AppNamespace: "apps", RepoURL: "oci://" + ref.Name(), Revision: d.Digest.String()}
					out, logs, err := generate(t, cfg, nil, env)
					if err != nil || !strings.Contains(out, ex.want) {
						t.Fatalf("generate: %v\n%s\n%s", err, out, logs)
					}
				})
			}
		})
	}
}

func TestGenerateRefusesWithEmptyOutput(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	unsigned := w.publish(t, "../../examples/plain", "platform/unsigned", "1.0.0", false)
	other := w.publish(t, "../../examples/plain", "other/app", "1.0.0", true)
	otherKeyDir := t.TempDir()
	_, pub, err := signature.GenerateKeyPair([]byte("x"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(otherKeyDir, "other.pub"), pub, 0o644))
	wrongKey := w.config(t, "")
	wrongKey.Policies[0].Keys = []string{filepath.Join(otherKeyDir, "other.pub")}
	cases := map[string]struct {
		cfg  *config.Config
		ref  string
		want string
	}{
		"unsigned":          {w.config(t, ""), unsigned, "no signature"},
		"wrong key":         {wrongKey, w.refs["plain"], "signature"},
		"no policy":         {w.config(t, ""), other, "no trust policy"},
		"missing tag":       {w.config(t, ""), strings.Replace(w.refs["plain"], ":1.4.0", ":9.9.9", 1), "not found"},
		"digest not signed": {w.config(t, ""), strings.Split(unsigned, ":1.0.0")[0] + "@sha256:" + strings.Repeat("a", 64), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, logs, err := generate(t, tc.cfg, nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: tc.ref}})
			if err == nil {
				t.Fatalf("generate succeeded:\n%s", out)
			}
			if out != "" {
				t.Fatalf("stdout not empty on error: %q", out)
			}
			if !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Fatalf("error %q does not mention %q\n%s", err, tc.want, logs)
			}
		})
	}
}

// lyingBlobs serves other bytes for every blob GET, as a compromised or corrupt mirror would.
func lyingBlobs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
			rec := &capture{header: http.Header{}}
			next.ServeHTTP(rec, r)
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			b := rec.body.Bytes()
			if len(b) > 0 {
				b[len(b)/2] ^= 0xff
			}
			w.Write(b)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header         { return c.header }
func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }
func (c *capture) WriteHeader(s int)           { c.status = s }

func TestGenerateSkipsLyingMirror(t *testing.T) {
	var lying bool
	w := newWorld(t, testregistry.Referrers, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if lying {
				lyingBlobs(h).ServeHTTP(rw, r)
				return
			}
			h.ServeHTTP(rw, r)
		})
	})
	lying = true
	out, logs, err := generate(t, w.config(t, ""), nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["kustomize"]}})
	if err != nil || !strings.Contains(out, "namespace: zone-a") {
		t.Fatalf("generate: %v\n%s\n%s", err, out, logs)
	}
	if !strings.Contains(logs, "source skipped") || !strings.Contains(logs, w.zone.Host) {
		t.Fatalf("logs do not show the lying mirror was skipped:\n%s", logs)
	}
}

func TestGenerateRefusesTamperedBlobEverywhere(t *testing.T) {
	var lying bool
	flip := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if lying {
				lyingBlobs(h).ServeHTTP(rw, r)
				return
			}
			h.ServeHTTP(rw, r)
		})
	}
	w := newWorld(t, testregistry.Referrers, flip, flip)
	lying = true
	out, _, err := generate(t, w.config(t, ""), nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["plain"]}})
	if err == nil || out != "" {
		t.Fatalf("tampered content rendered: err=%v out=%q", err, out)
	}
}

func TestGenerateCachedDigestNeedsNoNetwork(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	cfg := w.config(t, "")
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	ref, _ := registry.ParseReference(w.refs["helm"])
	repo, _ := w.opts.Open(ref)
	d, err := artifact.ResolveDescriptor(context.Background(), repo, ref)
	must(t, err)
	pinned := ref.WithDigest(d.Digest).String()
	cold, logs, err := generate(t, cfg, c, cmp.Env{AppName: "gb", AppNamespace: "apps", Params: cmp.Params{Ref: pinned}})
	if err != nil {
		t.Fatalf("cold generate: %v\n%s", err, logs)
	}
	hubBefore, zoneBefore := w.hub.Requests(), w.zone.Requests()
	w.hub.Close()
	w.zone.Close()
	warm, logs, err := generate(t, cfg, c, cmp.Env{AppName: "gb", AppNamespace: "apps", Params: cmp.Params{Ref: pinned}})
	if err != nil {
		t.Fatalf("warm generate with registries down: %v\n%s", err, logs)
	}
	if warm != cold {
		t.Fatal("warm output differs from cold output")
	}
	if w.hub.Requests() != hubBefore || w.zone.Requests() != zoneBefore {
		t.Fatalf("warm generate used the network: hub %d->%d zone %d->%d", hubBefore, w.hub.Requests(), zoneBefore, w.zone.Requests())
	}
}

func TestGenerateTagMovedToOtherSignedDigest(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	ctx := context.Background()
	// 2.0.0 is signed as 2.0.0; then someone with push rights points 1.4.0 at it.
	v2 := w.publish(t, "../../examples/plain/configmap.yaml", "platform/plain", "2.0.0", true)
	ref, _ := registry.ParseReference(v2)
	repo, _ := w.opts.Open(ref)
	d, err := artifact.ResolveDescriptor(ctx, repo, ref)
	must(t, err)
	must(t, repo.Tag(ctx, d, "1.4.0"))
	out, _, err := generate(t, w.config(t, ""), nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["plain"]}})
	if err == nil || out != "" {
		t.Fatalf("moved tag accepted: err=%v out=%q", err, out)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentGeneratesDownloadOnce(t *testing.T) {
	var layerGets atomic.Int64
	var layerDigest atomic.Value
	layerDigest.Store("")
	count := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if d := layerDigest.Load().(string); d != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
				layerGets.Add(1)
			}
			h.ServeHTTP(rw, r)
		})
	}
	w := newWorld(t, testregistry.Referrers, count, count)
	ref, _ := registry.ParseReference(w.refs["helm"])
	repo, _ := w.opts.Open(ref)
	res, err := artifact.Resolve(context.Background(), repo, ref)
	must(t, err)
	layerDigest.Store(res.Content.Layer.Digest.String())
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	cfg := w.config(t, "")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, logs, err := generate(t, cfg, c, cmp.Env{AppName: "gb", Params: cmp.Params{Ref: w.refs["helm"]}}); err != nil {
				t.Errorf("generate: %v\n%s", err, logs)
			}
		}()
	}
	wg.Wait()
	if n := layerGets.Load(); n != 1 {
		t.Fatalf("layer downloaded %d times by 4 concurrent generates, want 1", n)
	}
}

// A tag on a warm cache costs one request (the tag lookup at the hub); the zone is not asked at all.
func TestGenerateWarmTagCostsOneRequest(t *testing.T) {
	w := newWorld(t, testregistry.Distribution, nil, nil)
	cfg := w.config(t, "")
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	env := cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["kustomize"]}}
	if _, logs, err := generate(t, cfg, c, env); err != nil {
		t.Fatalf("cold: %v\n%s", err, logs)
	}
	hub, zone := w.hub.Requests(), w.zone.Requests()
	if _, logs, err := generate(t, cfg, c, env); err != nil {
		t.Fatalf("warm: %v\n%s", err, logs)
	}
	if got := w.hub.Requests() - hub + w.zone.Requests() - zone; got != 1 {
		t.Fatalf("warm generate by tag made %d requests, want 1", got)
	}
}

// A mirror listing only signatures by an untrusted key cannot hide the hub's valid signature.
func TestGenerateMirrorCannotHideValidSignature(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	ctx := context.Background()
	ref, _ := registry.ParseReference(w.hub.Host + "/platform/late:1.0.0")
	hubRepo, _ := w.opts.Open(ref)
	_, err := artifact.Publish(ctx, hubRepo, ref, "../../examples/plain", []string{"1.0.0"}, artifact.PublishOptions{})
	must(t, err)
	zoneRef := ref
	zoneRef.Registry = w.zone.Host
	zoneRepo, _ := w.opts.Open(zoneRef)
	_, err = artifact.Copy(ctx, hubRepo, ref, zoneRepo, zoneRef, nil, artifact.CopyOptions{}) // before signing
	must(t, err)
	_, _, err = signature.SignReference(ctx, hubRepo, w.signer, ref.Name(), "1.0.0")
	must(t, err)
	priv, _, err := signature.GenerateKeyPair([]byte("x"))
	must(t, err)
	keyFile := filepath.Join(t.TempDir(), "other.key")
	must(t, os.WriteFile(keyFile, priv, 0o600))
	other, err := signature.LoadSigner(keyFile, []byte("x"))
	must(t, err)
	_, _, err = signature.SignReference(ctx, zoneRepo, other, ref.Name(), "1.0.0")
	must(t, err)
	out, logs, err := generate(t, w.config(t, ""), nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: ref.String()}})
	if err != nil || out == "" {
		t.Fatalf("generate: %v\n%s", err, logs)
	}
}

// With the hub down, a mirror's tag answer is used only within mirrorTagFreshness of the hub's last answer.
func TestGenerateMirrorTagFreshness(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	env := cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["plain"]}}
	fresh := w.config(t, "")
	fresh.Registries[0].MirrorTagFreshness = config.Duration{Duration: time.Hour}
	if _, logs, err := generate(t, fresh, c, env); err != nil {
		t.Fatalf("hub up: %v\n%s", err, logs)
	}
	w.hub.Close()
	if _, logs, err := generate(t, w.config(t, ""), c, env); err == nil || !strings.Contains(err.Error(), "mirrorTagFreshness") {
		t.Fatalf("no freshness configured: err=%v\n%s", err, logs)
	}
	out, logs, err := generate(t, fresh, c, env)
	if err != nil || out == "" {
		t.Fatalf("hub down within the window: %v\n%s", err, logs)
	}
	short := w.config(t, "")
	short.Registries[0].MirrorTagFreshness = config.Duration{Duration: time.Millisecond}
	time.Sleep(5 * time.Millisecond)
	if _, _, err := generate(t, short, c, env); err == nil || !strings.Contains(err.Error(), "has not answered within") {
		t.Fatalf("hub down beyond the window: err=%v", err)
	}
}

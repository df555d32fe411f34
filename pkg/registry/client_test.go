package registry_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// seed pushes a small image with tag "v1" into host/repo and returns its manifest and layer.
func seed(t *testing.T, host, repo string, opts registry.Options) (manifest, layer ocispec.Descriptor, layerData []byte) {
	t.Helper()
	ctx := context.Background()
	opts.PlainHTTP = true
	r, err := opts.Remote(host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	layerData = []byte("hello from " + t.Name())
	layer = content.NewDescriptorFromBytes(ocispec.MediaTypeImageLayer, layerData)
	if err := r.Push(ctx, layer, strings.NewReader(string(layerData))); err != nil {
		t.Fatalf("pushing layer: %v", err)
	}
	manifest, err = oras.PackManifest(ctx, r, oras.PackManifestVersion1_1, "application/vnd.test",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatalf("pushing manifest: %v", err)
	}
	if err := r.Tag(ctx, manifest, "v1"); err != nil {
		t.Fatal(err)
	}
	return manifest, layer, layerData
}

func testOptions() registry.Options {
	o := registry.DefaultOptions()
	o.PlainHTTP = true
	o.MaxRetries = 3
	o.MaxWait = 3 * time.Second
	o.RequestTimeout = 20 * time.Second
	o.DockerConfig = filepath.Join(os.TempDir(), "gitless-no-such-docker-config.json")
	return o
}

func resolve(t *testing.T, opts registry.Options, ref string) (ocispec.Descriptor, error) {
	t.Helper()
	r, err := registry.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := opts.Open(r)
	if err != nil {
		t.Fatal(err)
	}
	d, err := repo.Resolve(context.Background(), r.Reference())
	return d, registry.Classify(err, "resolving "+ref)
}

// TestRetryHonoursRetryAfter: 503 then 429 (Retry-After 0 and 1), then the registry answers.
func TestRetryHonoursRetryAfter(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			var failing atomic.Bool
			var attempts atomic.Int64
			reg := testregistry.New(t, kind, testregistry.WithMiddleware(func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !failing.Load() || !strings.Contains(r.URL.Path, "/manifests/") {
						next.ServeHTTP(w, r)
						return
					}
					switch attempts.Add(1) {
					case 1:
						w.Header().Set("Retry-After", "0")
						http.Error(w, "busy", http.StatusServiceUnavailable)
					case 2:
						w.Header().Set("Retry-After", "1")
						http.Error(w, "slow down", http.StatusTooManyRequests)
					default:
						next.ServeHTTP(w, r)
					}
				})
			}))
			m, _, _ := seed(t, reg.Host, "retry", testOptions())
			failing.Store(true)
			start := time.Now()
			got, err := resolve(t, testOptions(), reg.Host+"/retry:v1")
			if err != nil {
				t.Fatalf("resolve after 503 and 429: %v", err)
			}
			if got.Digest != m.Digest {
				t.Fatalf("digest %s, want %s", got.Digest, m.Digest)
			}
			if n := attempts.Load(); n != 3 {
				t.Errorf("attempts = %d, want 3 (503, 429, success)", n)
			}
			if d := time.Since(start); d < time.Second {
				t.Errorf("took %v: Retry-After: 1 was not honoured", d)
			}
		})
	}
}

func TestRetryGivesUp(t *testing.T) {
	var attempts atomic.Int64
	reg := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			attempts.Add(1)
			w.Header().Set("Retry-After", "0")
			http.Error(w, "boom", http.StatusInternalServerError)
		})
	}))
	opts := testOptions()
	opts.MaxRetries = 2
	_, err := resolve(t, opts, reg.Host+"/broken:v1")
	if err == nil {
		t.Fatal("resolve against a registry that always fails succeeded")
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("attempts = %d, want 1 + MaxRetries(2)", n)
	}
	for _, s := range []error{registry.ErrNotFound, registry.ErrUnauthorized, registry.ErrUnreachable} {
		if errors.Is(err, s) {
			t.Errorf("a 500 classified as %v: %v", s, err)
		}
	}
	if !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "resolving") || !strings.Contains(err.Error(), "retries") {
		t.Errorf("error does not say what failed: %v", err)
	}
	t.Logf("error: %v", err)
}

// basicAuth answers 401 with a basic challenge unless the request carries user:pass.
func basicAuth(user, pass string, seen *headerLog) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen.add(r.Header.Get("Authorization"))
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type headerLog struct {
	mu   sync.Mutex
	vals []string
}

func (h *headerLog) add(v string) { h.mu.Lock(); h.vals = append(h.vals, v); h.mu.Unlock() }
func (h *headerLog) nonEmpty() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, v := range h.vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func TestClassify(t *testing.T) {
	open := testregistry.New(t, testregistry.Distribution)
	seed(t, open.Host, "app", testOptions())
	locked := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(basicAuth("u", "p", &headerLog{})))
	closed := testregistry.New(t, testregistry.Referrers)
	closed.Close()

	tests := []struct {
		name, ref string
		want      error
	}{
		{"missing tag", open.Host + "/app:nope", registry.ErrNotFound},
		{"missing repository", open.Host + "/nothing/here:v1", registry.ErrNotFound},
		{"missing digest", open.Host + "/app@" + digest.FromString("x").String(), registry.ErrNotFound},
		{"401 basic challenge", locked.Host + "/app:v1", registry.ErrUnauthorized},
		{"closed server", closed.Host + "/app:v1", registry.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			opts.MaxRetries = 0
			_, err := resolve(t, opts, tt.ref)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Logf("%v", err)
		})
	}
	t.Run("TLS to a plain HTTP registry", func(t *testing.T) {
		opts := testOptions()
		opts.PlainHTTP, opts.MaxRetries = false, 0
		_, err := resolve(t, opts, open.Host+"/app:v1")
		if !errors.Is(err, registry.ErrUnreachable) {
			t.Fatalf("err = %v, want ErrUnreachable", err)
		}
	})
	t.Run("already classified", func(t *testing.T) {
		err := fmt.Errorf("x: %w", registry.ErrDigestMismatch)
		if got := registry.Classify(err, "y"); got != err {
			t.Fatalf("Classify re-wrapped %v as %v", err, got)
		}
		if registry.Classify(nil, "y") != nil {
			t.Fatal("Classify(nil) != nil")
		}
	})
}

func TestDockerConfigCredentials(t *testing.T) {
	seen := &headerLog{}
	reg := testregistry.New(t, testregistry.Distribution, testregistry.WithMiddleware(basicAuth("alice", "s3cret", seen)))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.json")
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	if err := os.WriteFile(cfg, []byte(`{"auths":{"`+reg.Host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.DockerConfig = cfg
	m, _, _ := seed(t, reg.Host, "app", opts)
	got, err := resolve(t, opts, reg.Host+"/app:v1")
	if err != nil {
		t.Fatalf("resolve with docker config credentials: %v", err)
	}
	if got.Digest != m.Digest {
		t.Fatalf("digest %s, want %s", got.Digest, m.Digest)
	}
	want := "Basic " + auth
	for _, h := range seen.nonEmpty() {
		if h != want {
			t.Fatalf("registry saw Authorization %q, want %q", h, want)
		}
	}
	if len(seen.nonEmpty()) == 0 {
		t.Fatal("credentials from the docker config were never sent")
	}

	t.Run("no entry for the host", func(t *testing.T) {
		other := filepath.Join(dir, "other.json")
		os.WriteFile(other, []byte(`{"auths":{"elsewhere.example.com":{"auth":"`+auth+`"}}}`), 0o600)
		opts := testOptions()
		opts.DockerConfig, opts.MaxRetries = other, 0
		if _, err := resolve(t, opts, reg.Host+"/app:v1"); !errors.Is(err, registry.ErrUnauthorized) {
			t.Fatalf("err = %v, want ErrUnauthorized", err)
		}
	})
}

func TestExplicitCredentialsStayOnTheirHost(t *testing.T) {
	mine := &headerLog{}
	theirs := &headerLog{}
	regA := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(basicAuth("bob", "pw", mine)))
	regB := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(basicAuth("eve", "other", theirs)))
	opts := testOptions()
	opts.Username, opts.Password, opts.MaxRetries = "bob", "pw", 0
	opts.CredentialHost = regA.Host

	if _, err := opts.AuthClient(regA.Host); err != nil {
		t.Fatal(err)
	}
	seed(t, regA.Host, "app", opts)
	if _, err := resolve(t, opts, regA.Host+"/app:v1"); err != nil {
		t.Fatalf("resolve on the credentials' host: %v", err)
	}
	if len(mine.nonEmpty()) == 0 {
		t.Fatal("explicit credentials were not sent to their host")
	}
	_, err := resolve(t, opts, regB.Host+"/app:v1")
	if !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("err on another host = %v, want ErrUnauthorized", err)
	}
	if got := theirs.nonEmpty(); len(got) != 0 {
		t.Fatalf("another host received credentials: %q", got)
	}
}

// TestRedirectDropsCredentials: a registry that redirects blob downloads to storage on another
// 127.0.0.1 port must not hand the storage its Authorization header (net/http compares host names only).
func TestRedirectDropsCredentials(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			var storageAuth headerLog
			var storageHits atomic.Int64
			var blob []byte
			storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				storageHits.Add(1)
				storageAuth.add(r.Header.Get("Authorization"))
				w.Write(blob)
			}))
			t.Cleanup(storage.Close)
			var redirect atomic.Bool
			regLog := &headerLog{}
			reg := testregistry.New(t, kind, testregistry.WithMiddleware(func(next http.Handler) http.Handler {
				authed := basicAuth("carol", "pw", regLog)(next)
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if redirect.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
						if _, p, ok := r.BasicAuth(); ok && p == "pw" {
							http.Redirect(w, r, storage.URL+"/storage/blob", http.StatusTemporaryRedirect)
							return
						}
					}
					authed.ServeHTTP(w, r)
				})
			}))
			opts := testOptions()
			opts.Username, opts.Password = "carol", "pw"
			_, layer, data := seed(t, reg.Host, "app", opts)
			blob = data
			redirect.Store(true)

			repo, err := opts.Remote(reg.Host + "/app")
			if err != nil {
				t.Fatal(err)
			}
			got, err := content.FetchAll(context.Background(), repo, layer)
			if err != nil {
				t.Fatalf("fetching a redirected blob: %v", err)
			}
			if string(got) != string(data) {
				t.Fatalf("blob = %q", got)
			}
			if storageHits.Load() == 0 {
				t.Fatal("the redirect was not followed")
			}
			if h := storageAuth.nonEmpty(); len(h) != 0 {
				t.Fatalf("storage on another port received credentials: %q", h)
			}
		})
	}
}

package cmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// resolveRef returns the digest ref names on its registry.
func (w *world) resolveRef(t testing.TB, refStr string) (registry.Reference, registry.Repository, ocispec.Descriptor) {
	t.Helper()
	ref, err := registry.ParseReference(refStr)
	must(t, err)
	repo, err := w.opts.Open(ref)
	must(t, err)
	d, err := artifact.ResolveDescriptor(context.Background(), repo, ref)
	must(t, err)
	return ref, repo, d
}

// zoneRepo opens ref's repository on the zone registry.
func (w *world) zoneRepo(t testing.TB, ref registry.Reference) registry.Repository {
	t.Helper()
	ref.Registry = w.zone.Host
	repo, err := w.opts.Open(ref)
	must(t, err)
	return repo
}

func otherSigner(t testing.TB) *signature.Signer {
	t.Helper()
	priv, _, err := signature.GenerateKeyPair([]byte("x"))
	must(t, err)
	keyFile := filepath.Join(t.TempDir(), "other.key")
	must(t, os.WriteFile(keyFile, priv, 0o600))
	s, err := signature.LoadSigner(keyFile, []byte("x"))
	must(t, err)
	return s
}

// signN stores n signatures of d by signer in repo (binding no tag).
func signN(t testing.TB, repo registry.Repository, signer *signature.Signer, repository string, d ocispec.Descriptor, n int) {
	t.Helper()
	for range n {
		_, err := signature.Sign(context.Background(), repo, signer, repository, d)
		must(t, err)
	}
}

// Issue 16 item 1: after platform/db:1.0 is verified (and cached), platform/web:1.0 pointed at db's
// digest, with db's signatures beside it, is refused as it is cold: db's binding names another
// repository.
func TestGenerateCacheKeepsRepositoryCheck(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	db := w.publish(t, "../../examples/plain", "platform/db", "1.0", true)
	dbRef, dbRepo, _ := w.resolveRef(t, db)
	webRef, err := registry.ParseReference(w.hub.Host + "/platform/web:1.0")
	must(t, err)
	webRepo, err := w.opts.Open(webRef)
	must(t, err)
	_, err = artifact.Copy(context.Background(), dbRepo, dbRef, webRepo, webRef, nil, artifact.CopyOptions{})
	must(t, err)
	cfg := w.config(t, "")
	for _, warm := range []bool{false, true} {
		c, err := cache.New(t.TempDir(), 0)
		must(t, err)
		if warm {
			if _, logs, err := generate(t, cfg, c, cmp.Env{AppName: "db", Params: cmp.Params{Ref: db}}); err != nil {
				t.Fatalf("db: %v\n%s", err, logs)
			}
		}
		out, logs, err := generate(t, cfg, c, cmp.Env{AppName: "web", Params: cmp.Params{Ref: webRef.String()}})
		if !errors.Is(err, signature.ErrTagNotBound) || out != "" {
			t.Fatalf("warm=%t: web:1.0 on db's digest = %v, out %d bytes; want ErrTagNotBound\n%s", warm, err, len(out), logs)
		}
	}
}

// addReferrer makes a mirror list one more referrer than it holds (a signature it cannot serve).
func addReferrer(extra ocispec.Descriptor) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/referrers/") {
				next.ServeHTTP(w, r)
				return
			}
			rec := &capture{header: http.Header{}}
			next.ServeHTTP(rec, r)
			var index ocispec.Index
			if rec.status != http.StatusOK || json.Unmarshal(rec.body.Bytes(), &index) != nil {
				w.WriteHeader(rec.status)
				w.Write(rec.body.Bytes())
				return
			}
			index.Manifests = append([]ocispec.Descriptor{extra}, index.Manifests...)
			w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
			json.NewEncoder(w).Encode(index)
		})
	}
}

// Issue 16 item 2: what a mirror lists cannot hide the hub's signatures, nor crowd them out.
func TestGenerateMirrorListingCannotHideHubSignatures(t *testing.T) {
	t.Run("listed but unservable", func(t *testing.T) {
		ghost := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: signature.BundleMediaType,
			Digest: digest.FromString("a signature nobody has"), Size: 512}
		w := newWorld(t, testregistry.Referrers, nil, addReferrer(ghost))
		out, logs, err := generate(t, w.config(t, ""), nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: w.refs["plain"]}})
		if err != nil || out == "" {
			t.Fatalf("valid artifact refused because a mirror lists a signature it cannot serve: %v\n%s", err, logs)
		}
	})
	t.Run("crowded out", func(t *testing.T) {
		w := newWorld(t, testregistry.Referrers, nil, nil)
		late := w.publish(t, "../../examples/plain", "platform/late", "1.0", false) // replicated before it is signed
		ref, hubRepo, d := w.resolveRef(t, late)
		_, _, err := signature.SignReference(context.Background(), hubRepo, w.signer, ref.Name(), "1.0")
		must(t, err)
		zoneRepo := w.zoneRepo(t, ref)
		signN(t, zoneRepo, otherSigner(t), ref.Name(), d, signature.MaxCandidates+5)
		out, logs, err := generate(t, w.config(t, ""), nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: late}})
		if err != nil || out == "" {
			t.Fatalf("the mirror's %d bogus signatures crowded out the hub's: %v\n%s", signature.MaxCandidates+5, err, logs)
		}
	})
	// The hub binds 1.0 only; 2.0 is moved onto the same digest. Even with allowUnboundTags, the
	// mirror listing a valid unbound signature ahead of enough others cannot hide the binding.
	t.Run("binding crowded out under allowUnboundTags", func(t *testing.T) {
		w := newWorld(t, testregistry.Referrers, nil, nil)
		ctx := context.Background()
		v1 := w.publish(t, "../../examples/plain/configmap.yaml", "platform/moved", "1.0", false)
		ref, hubRepo, d := w.resolveRef(t, v1)
		_, _, err := signature.SignReference(ctx, hubRepo, w.signer, ref.Name(), "1.0")
		must(t, err)
		signN(t, hubRepo, w.signer, ref.Name(), d, 1) // a plain, unbound signature beside the binding
		must(t, hubRepo.Tag(ctx, d, "2.0"))
		zoneRepo := w.zoneRepo(t, ref)
		must(t, zoneRepo.Tag(ctx, d, "2.0"))
		// the mirror lists a valid unbound signature and enough others to fill the cap, not the binding
		signN(t, zoneRepo, w.signer, ref.Name(), d, 1)
		signN(t, zoneRepo, otherSigner(t), ref.Name(), d, signature.MaxCandidates-1)
		cfg := w.config(t, "")
		cfg.Policies[0].AllowUnboundTags = true
		moved := ref
		moved.Tag = "2.0"
		out, logs, err := generate(t, cfg, nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: moved.String()}})
		if !errors.Is(err, signature.ErrTagNotBound) || out != "" {
			t.Fatalf("moved tag = %v, out %d bytes; want ErrTagNotBound\n%s", err, len(out), logs)
		}
	})
}

// Issue 16 item 4: in the OCI source form, a targetRevision tag must be bound to the digest Argo CD
// resolved; a semver range is verified by digest.
func TestGenerateOCISourceChecksTargetTag(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	v2 := w.publish(t, "../../examples/plain/configmap.yaml", "platform/plain", "2.0.0", true)
	ref, _, d := w.resolveRef(t, v2)
	cfg := w.config(t, "")
	cases := []struct {
		target  string
		wantErr error
		wantLog string
	}{
		{"1.4.0", signature.ErrTagNotBound, ""}, // 1.4.0's tag moved onto 2.0.0's digest
		{"2.0.0", nil, `"tagBound":true`},
		{"^2.0", nil, "semver range"},
		{d.Digest.String(), nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			env := cmp.Env{AppName: "a", RepoURL: "oci://" + ref.Name(), Revision: d.Digest.String(), TargetRevision: tc.target}
			out, logs, err := generate(t, cfg, nil, env)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (out != "") {
				t.Fatalf("generate = %v, out %d bytes; want %v\n%s", err, len(out), tc.wantErr, logs)
			}
			if !strings.Contains(logs, tc.wantLog) {
				t.Fatalf("logs lack %q:\n%s", tc.wantLog, logs)
			}
		})
	}
}

// Issue 16 item 13: the policy is looked up before anything else; a host no policy names gets no
// request, and an oci-layout reference creates nothing.
func TestGenerateActsOnlyAfterPolicy(t *testing.T) {
	var requests atomic.Int64
	unlisted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.NotFound(w, r)
	}))
	defer unlisted.Close()
	host := strings.TrimPrefix(unlisted.URL, "http://")
	layout := filepath.Join(t.TempDir(), "created-by-sidecar")
	cfg := &config.Config{Policies: []config.Policy{{Match: "**", Keys: []string{"/nonexistent.pub"}}}}
	cfg.Policies[0].Match = "hub.example.com/**"
	cases := []struct {
		name, ref string
		want      error
	}{
		{"unlisted host", host + "/platform/app:1.0", config.ErrNoMatchingPolicy},
		{"unlisted host by digest", host + "/platform/app@" + digest.FromString("x").String(), config.ErrNoMatchingPolicy},
		{"oci-layout", "oci-layout:" + layout + ":1.0", cmp.ErrLayoutRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := generate(t, cfg, nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: tc.ref}})
			if !errors.Is(err, tc.want) || out != "" {
				t.Fatalf("generate = %v; want %v", err, tc.want)
			}
		})
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("the unlisted host got %d requests, want 0", n)
	}
	if _, err := os.Stat(layout); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the oci-layout reference created %s (stat: %v)", layout, err)
	}
}

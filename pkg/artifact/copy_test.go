package artifact_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	gitlessconfig "github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestCopyCarriesSignatures replicates a signed artifact hub -> OCI layout (the air gap) -> zone across
// registry kinds, and checks that both signature formats arrive and still bind the tag.
func TestCopyCarriesSignatures(t *testing.T) {
	pairs := [][2]testregistry.Kind{
		{testregistry.Referrers, testregistry.Distribution},
		{testregistry.Distribution, testregistry.Referrers},
	}
	for _, pair := range pairs {
		t.Run(string(pair[0])+"-to-"+string(pair[1]), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			opts := registry.DefaultOptions()
			opts.PlainHTTP = true
			open := func(s string) (registry.Reference, registry.Repository) {
				ref, err := registry.ParseReference(s)
				if err != nil {
					t.Fatal(err)
				}
				repo, err := opts.Open(ref)
				if err != nil {
					t.Fatal(err)
				}
				return ref, repo
			}
			hubRef, hub := open(testregistry.New(t, pair[0]).Host + "/platform/app:1.0.0")
			if _, err := artifact.Publish(ctx, hub, hubRef, "../../examples/plain", []string{"1.0.0"}, artifact.PublishOptions{}); err != nil {
				t.Fatal(err)
			}
			kp := sigtest.NewKeyPair(t, t.TempDir(), "hub")
			for _, f := range []signature.Format{signature.FormatBundle, signature.FormatLegacy} {
				if _, _, err := signature.SignReference(ctx, hub, kp.Signer, hubRef.Name(), "1.0.0", signature.WithFormat(f)); err != nil {
					t.Fatal(err)
				}
			}
			layoutRef, layout := open("oci-layout:" + filepath.Join(t.TempDir(), "transfer"))
			if _, err := artifact.Copy(ctx, hub, hubRef, layout, layoutRef, nil, artifact.CopyOptions{}); err != nil {
				t.Fatalf("hub -> layout: %v", err)
			}
			zoneRef, zone := open(testregistry.New(t, pair[1]).Host + "/platform/app")
			copied, err := artifact.Copy(ctx, layout, layoutRef.WithTag("1.0.0"), zone, zoneRef, nil, artifact.CopyOptions{})
			if err != nil {
				t.Fatalf("layout -> zone: %v", err)
			}
			kinds := map[string]bool{}
			for _, r := range copied.Referrers {
				kinds[r.Kind] = true
			}
			if !kinds[artifact.LabelSigstoreBundle] || !kinds[artifact.LabelCosignSignature] {
				t.Fatalf("zone referrers %+v, want a Sigstore bundle and a cosign signature", copied.Referrers)
			}
			v, err := signature.NewVerifier(&gitlessconfig.Policy{Match: "**", Keys: []string{kp.Pub}, RequireTagBinding: true})
			if err != nil {
				t.Fatal(err)
			}
			_, fresh := open(zoneRef.Name())
			res, err := v.Verify(ctx, fresh, zoneRef.Name(), "1.0.0")
			if err != nil || !res.TagBound || len(res.Signatures) != 2 {
				t.Fatalf("verify at the zone: %+v, %v", res, err)
			}
		})
	}
}

// zoneWrites counts the requests that change a registry (PUT, POST, PATCH, DELETE) and, once
// immutable is set, refuses a PUT to a tag that exists, as Harbor's tag immutability rules do.
type zoneWrites struct {
	writes    atomic.Int64
	immutable atomic.Bool
}

func (z *zoneWrites) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete:
			z.writes.Add(1)
		}
		if r.Method == http.MethodPut && z.immutable.Load() && z.tagExists(next, r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `{"errors":[{"code":"PRECONDITION","message":"the tag is configured as immutable, cannot be updated"}]}`)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (z *zoneWrites) tagExists(next http.Handler, r *http.Request) bool {
	_, ref, ok := strings.Cut(r.URL.Path, "/manifests/")
	if !ok || strings.HasPrefix(ref, "sha256:") {
		return false
	}
	head := httptest.NewRequest(http.MethodHead, r.URL.String(), nil)
	head.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, head)
	return rec.Code == http.StatusOK
}

// TestCopyRerunWritesNothing: copying again with nothing new makes no write at the zone (the tag, the
// legacy .sig tag and the referrers, via the API or the referrers tag schema, are all in place), so a
// registry with immutable tags accepts the re-run; a tag that must move is refused there, by name.
func TestCopyRerunWritesNothing(t *testing.T) {
	pairs := [][2]testregistry.Kind{
		{testregistry.Referrers, testregistry.Distribution},
		{testregistry.Distribution, testregistry.Referrers},
		{testregistry.Referrers, testregistry.Referrers},
		{testregistry.Distribution, testregistry.Distribution},
	}
	for _, pair := range pairs {
		t.Run(string(pair[0])+"-to-"+string(pair[1]), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			hub := remoteTarget(t, "hub", testregistry.New(t, pair[0]), "platform/app")
			hubRef := hub.ref.WithTag("1.0.0")
			if _, err := artifact.Publish(ctx, hub.repo, hubRef, "../../examples/plain", []string{"1.0.0"}, artifact.PublishOptions{Created: fixedCreated}); err != nil {
				t.Fatal(err)
			}
			kp := sigtest.NewKeyPair(t, t.TempDir(), "hub")
			for _, f := range []signature.Format{signature.FormatBundle, signature.FormatLegacy} {
				if _, _, err := signature.SignReference(ctx, hub.repo, kp.Signer, hub.ref.Name(), "1.0.0", signature.WithFormat(f)); err != nil {
					t.Fatal(err)
				}
			}
			var z zoneWrites
			zone := remoteTarget(t, "zone", testregistry.New(t, pair[1], testregistry.WithMiddleware(z.middleware)), "platform/app")
			first, err := artifact.Copy(ctx, hub.repo, hubRef, zone.repo, zone.ref, []string{"1.0.0", "stable"}, artifact.CopyOptions{})
			if err != nil {
				t.Fatalf("first copy: %v", err)
			}
			if first.Pushed == 0 || len(first.TagsWritten) != 3 { // the .sig tag, 1.0.0, stable
				t.Fatalf("first copy pushed %d objects and wrote tags %v", first.Pushed, first.TagsWritten)
			}
			z.immutable.Store(true)
			before := z.writes.Load()
			again, err := artifact.Copy(ctx, hub.repo, hubRef, zone.repo, zone.ref, []string{"1.0.0", "stable"}, artifact.CopyOptions{})
			if err != nil {
				t.Fatalf("re-run against immutable tags: %v", err)
			}
			if n := z.writes.Load() - before; n != 0 || again.Pushed != 0 || len(again.TagsWritten) != 0 {
				t.Fatalf("re-run made %d writes (pushed %d, tags %v), want 0", n, again.Pushed, again.TagsWritten)
			}
			if len(again.Referrers) != len(first.Referrers) {
				t.Fatalf("re-run sees referrers %+v, first copy %+v", again.Referrers, first.Referrers)
			}

			other := hub.ref.WithTag("2.0.0")
			if _, err := artifact.Publish(ctx, hub.repo, other, "../../examples/plain/configmap.yaml", []string{"2.0.0"}, artifact.PublishOptions{Created: fixedCreated}); err != nil {
				t.Fatal(err)
			}
			_, err = artifact.Copy(ctx, hub.repo, other, zone.repo, zone.ref, []string{"stable"}, artifact.CopyOptions{})
			if err == nil || !strings.Contains(err.Error(), "moving tag stable") || !strings.Contains(err.Error(), "immutable") {
				t.Fatalf("moving an immutable tag: err = %v, want a refusal naming the tag", err)
			}
		})
	}
}

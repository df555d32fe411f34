package replicate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/imagetest"
	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/replicate"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// counter counts a registry's requests and its writes (PUT, POST, PATCH, DELETE).
type counter struct{ reads, writes atomic.Int64 }

func (c *counter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			c.reads.Add(1)
		} else {
			c.writes.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

func (c *counter) reset() { c.reads.Store(0); c.writes.Store(0) }

// world is a hub and three zones on 127.0.0.1: a registry with the referrers API, CNCF Distribution
// without it behind a fault switch, and an oci-layout directory.
type world struct {
	hub, zoneA, zoneB *testregistry.Registry
	layout            string
	countA, countB    counter
	faultB            testregistry.Switch
	key               *sigtest.KeyPair
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{layout: filepath.Join(t.TempDir(), "airgap")}
	w.hub = testregistry.New(t, testregistry.Referrers)
	w.zoneA = testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(w.countA.middleware))
	w.zoneB = testregistry.New(t, testregistry.Distribution, testregistry.WithMiddleware(func(h http.Handler) http.Handler {
		return w.countB.middleware(w.faultB.Middleware(h))
	}))
	w.key = sigtest.NewKeyPair(t, t.TempDir(), "hub")
	return w
}

// publish pushes a signed artifact to the hub at repository:tag, the tag bound by the signature.
func (w *world) publish(t testing.TB, repository, tag, text string) {
	t.Helper()
	repo, name := sigtest.NewRepo(t, w.hub, repository)
	sigtest.PushArtifact(t, repo, tag, text)
	if _, _, err := signature.SignReference(context.Background(), repo, w.key.Signer, name, tag); err != nil {
		t.Fatal(err)
	}
}

func (w *world) spec(t testing.TB, rules string) *replicate.Spec {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Replication
hub: {registry: %q, plainHTTP: true}
zones:
- {name: zone-a, registry: %q, plainHTTP: true}
- {name: zone-b, registry: %q, plainHTTP: true}
- {name: airgap, registry: "oci-layout:%s"}
rules:
%s`, w.hub.Host, w.zoneA.Host, w.zoneB.Host, w.layout, rules)
	s, err := replicate.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testOptions() replicate.Options {
	o := registry.DefaultOptions()
	o.MaxRetries = 1
	o.MaxWait = 0
	return replicate.Options{Registry: o}
}

func zoneReport(t *testing.T, r *replicate.Report, name string) *replicate.ZoneReport {
	t.Helper()
	for _, z := range r.Zones {
		if z.Name == name {
			return z
		}
	}
	t.Fatalf("no zone %s in the report", name)
	return nil
}

// pushImage pushes a two-platform image to the hub at repository:tag, signs it (a bundle referrer),
// and returns its lock entry.
func (w *world) pushImage(t testing.TB, repository, tag string) images.Image {
	t.Helper()
	name := w.hub.Host + "/" + repository
	d := imagetest.PushIndex(t, name+":"+tag, "linux/amd64", "linux/arm64")
	if _, _, err := signature.SignReference(context.Background(), sigtest.OpenRepo(t, name), w.key.Signer, name, d); err != nil {
		t.Fatal(err)
	}
	return images.Image{Ref: name + ":" + tag, Name: name, Tag: tag, Digest: d, MediaType: ocispec.MediaTypeImageIndex}
}

// publishLocked pushes a signed artifact whose manifest carries an images lock, as publish writes it.
func (w *world) publishLocked(t testing.TB, repository, tag, text string, locked ...images.Image) {
	t.Helper()
	enc, err := images.Lock{Images: locked}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	repo, name := sigtest.NewRepo(t, w.hub, repository)
	base := sigtest.PushArtifact(t, repo, "", text)
	m, _, err := artifact.FetchManifest(ctx, repo, base)
	if err != nil {
		t.Fatal(err)
	}
	m.Annotations[images.AnnotationLock] = enc
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, raw)
	if err := repo.PushReference(ctx, desc, bytes.NewReader(raw), tag); err != nil {
		t.Fatal(err)
	}
	if _, _, err := signature.SignReference(ctx, repo, w.key.Signer, name, tag); err != nil {
		t.Fatal(err)
	}
}

// imagesSpec is spec with images: true and each registry zone's images prefix.
func (w *world) imagesSpec(t testing.TB, rules string) *replicate.Spec {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Replication
hub: {registry: %q, plainHTTP: true}
images: true
zones:
- {name: zone-a, registry: %q, plainHTTP: true, images: %q}
- {name: zone-b, registry: %q, plainHTTP: true, images: %q}
- {name: airgap, registry: "oci-layout:%s"}
rules:
%s`, w.hub.Host, w.zoneA.Host, w.zoneA.Host+"/mirror", w.zoneB.Host, w.zoneB.Host+"/mirror", w.layout, rules)
	s, err := replicate.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

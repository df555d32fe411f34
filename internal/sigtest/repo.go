// Package sigtest holds the helpers that the pkg/signature tests and the cosign interop tests
// share: plain-HTTP clients on test registries, a small image-shaped artifact, cosign key pairs,
// and an offline stand-in for Fulcio.
package sigtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// NewRepo opens a plain-HTTP client on repository name of reg and returns it with the
// repository's full name ("HOST/name").
func NewRepo(t testing.TB, reg *testregistry.Registry, name string) (*remote.Repository, string) {
	t.Helper()
	repository := reg.Host + "/" + name
	return OpenRepo(t, repository), repository
}

// OpenRepo opens another plain-HTTP client on repository, as a verifier on another machine would:
// oras-go remembers per client whether the registry honoured the referrers API on push.
func OpenRepo(t testing.TB, repository string) *remote.Repository {
	t.Helper()
	opts := registry.DefaultOptions() // the product's client: retries, and no referrers-index deletes
	opts.PlainHTTP = true
	repo, err := opts.Remote(repository)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// PushArtifact pushes a small image-shaped manifest (image config, one gzip tar layer holding
// text) to target and tags it, unless tag is empty. The manifest's creation time is fixed, so the
// same text gives the same digest.
func PushArtifact(t testing.TB, target oras.Target, tag, text string) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprint(zw, text)
	zw.Close()
	push := func(mt string, b []byte) ocispec.Descriptor {
		d := content.NewDescriptorFromBytes(mt, b)
		if err := target.Push(ctx, d, bytes.NewReader(b)); err != nil {
			t.Fatalf("pushing %s: %v", mt, err)
		}
		return d
	}
	cfg := push(ocispec.MediaTypeImageConfig, []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`))
	layer := push(ocispec.MediaTypeImageLayerGzip, gz.Bytes())
	desc, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{
		ConfigDescriptor:    &cfg,
		Layers:              []ocispec.Descriptor{layer},
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "2026-01-01T00:00:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tag != "" {
		if err := target.Tag(ctx, desc, tag); err != nil {
			t.Fatal(err)
		}
	}
	return desc
}

package signature_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// keyVerifier is a verifier trusting keys (files or directories) for every repository.
func keyVerifier(t testing.TB, opts []signature.VerifierOption, keys ...string) *signature.Verifier {
	t.Helper()
	v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: keys}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// countingRepo counts content fetches (manifests and blobs) while keeping the repository's
// referrers listing and tag resolution.
type countingRepo struct {
	*remote.Repository
	fetches atomic.Int64
}

func (c *countingRepo) Fetch(ctx context.Context, d ocispec.Descriptor) (io.ReadCloser, error) {
	c.fetches.Add(1)
	return c.Repository.Fetch(ctx, d)
}

// putManifest stores a manifest with a raw HTTP PUT, bypassing oras-go's referrers-index upkeep
// (to plant many referrers quickly).
func putManifest(t testing.TB, reg *testregistry.Registry, name, ref, mediaType string, b []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v2/%s/manifests/%s", reg.URL, name, ref), bytes.NewReader(b))
	req.Header.Set("Content-Type", mediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT manifest %s: %d %s", ref, resp.StatusCode, body)
	}
}

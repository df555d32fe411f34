package signature_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// newRepo opens a plain-HTTP repository on a test registry.
func newRepo(t testing.TB, reg *testregistry.Registry, name string) (*remote.Repository, string) {
	t.Helper()
	repository := reg.Host + "/" + name
	repo, err := remote.NewRepository(repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo, repository
}

// fresh opens another client on repository, as a verifier on another machine would: oras-go
// remembers per client whether the registry honoured the referrers API on push.
func fresh(t testing.TB, repository string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(repository)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	return repo
}

// pushArtifact pushes a small image-shaped manifest (image config, one gzip tar layer) and tags it.
func pushArtifact(t testing.TB, target oras.Target, tag, text string) ocispec.Descriptor {
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

type keyPair struct {
	signer  *signature.Signer
	priv    string // path of the encrypted private key
	pub     string // path of the PEM public key
	pass    []byte
	pubPEM  []byte
	privPEM []byte
}

// newKeyPair generates a cosign key pair with the library and writes it to dir.
func newKeyPair(t testing.TB, dir, name string) *keyPair {
	t.Helper()
	pass := []byte("test-password-" + name)
	priv, pub, err := signature.GenerateKeyPair(pass)
	if err != nil {
		t.Fatal(err)
	}
	kp := &keyPair{priv: filepath.Join(dir, name+".key"), pub: filepath.Join(dir, name+".pub"), pass: pass, pubPEM: pub, privPEM: priv}
	if err := os.WriteFile(kp.priv, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp.pub, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if kp.signer, err = signature.LoadSigner(kp.priv, pass); err != nil {
		t.Fatal(err)
	}
	return kp
}

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

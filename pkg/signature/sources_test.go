package signature_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// ghostLister lists one referrer more than the repository holds.
type ghostLister struct {
	*remote.Repository
	ghost ocispec.Descriptor
}

func (g *ghostLister) Referrers(ctx context.Context, desc ocispec.Descriptor, artifactType string, fn func([]ocispec.Descriptor) error) error {
	if err := fn([]ocispec.Descriptor{g.ghost}); err != nil {
		return err
	}
	return g.Repository.Referrers(ctx, desc, artifactType, fn)
}

// multi is a combined store of named sources (as the sidecar's mirrors and hub).
type multi struct {
	*remote.Repository
	srcs []signature.Source
}

func (m *multi) SignatureSources() []signature.Source { return m.srcs }

// A listed signature nobody can serve is skipped; when the registry itself listed it, the result is
// Partial and allowUnboundTags does not apply (the missing signature might bind another tag).
func TestUnservableListedSignature(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Referrers)
	repo, repository := sigtest.NewRepo(t, reg, "app")
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	desc := sigtest.PushArtifact(t, repo, "1.0", "x")
	if _, err := signature.Sign(ctx, repo, kp.Signer, repository, desc); err != nil { // binds no tag
		t.Fatal(err)
	}
	ghost := &ghostLister{Repository: sigtest.OpenRepo(t, repository), ghost: ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageManifest, ArtifactType: signature.BundleMediaType, Digest: digest.FromString("ghost"), Size: 300}}
	plain := sigtest.OpenRepo(t, repository)
	v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{kp.Pub}, AllowUnboundTags: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		srcs    []signature.Source
		wantErr error
	}{
		{"mirror lists it", []signature.Source{{Name: "mirror", Store: ghost}, {Name: "hub", Store: plain, Upstream: true}}, nil},
		{"hub lists it", []signature.Source{{Name: "mirror", Store: plain}, {Name: "hub", Store: ghost, Upstream: true}}, signature.ErrTagNotBound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &multi{Repository: sigtest.OpenRepo(t, repository), srcs: tt.srcs}
			if _, err := v.Verify(ctx, store, repository, desc.Digest.String()); err != nil {
				t.Fatalf("by digest: %v", err) // a partial result still proves the digest's signature
			}
			res, err := v.Verify(ctx, store, repository, "1.0")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("by tag = %+v, %v; want %v", res, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "not every signature could be read") {
				t.Fatalf("error does not say why allowUnboundTags did not apply: %v", err)
			}
		})
	}
}

package cmp

import (
	"bytes"
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// resolveTag asks the upstream for ref's tag. With a cache, one GET returns the manifest with its
// digest (instead of a HEAD now and a GET by digest when describing it); the bytes are checked
// against that digest and size and cached by digest, where describe finds them. The digest stays
// what every later step (verification included) uses, exactly as with a HEAD.
func (p *Pipeline) resolveTag(ctx context.Context, up registry.Repository, ref registry.Reference) (ocispec.Descriptor, error) {
	f, ok := up.(orasregistry.ReferenceFetcher)
	if p.Cache == nil || !ok || ref.Tag == "" || ref.Digest != "" {
		return artifact.ResolveDescriptor(ctx, up, ref)
	}
	desc, rc, err := f.FetchReference(ctx, ref.Tag)
	if err != nil {
		return ocispec.Descriptor{}, registry.Classify(err, "resolving "+ref.String())
	}
	defer rc.Close()
	if desc.Size > artifact.MaxManifestSize {
		return ocispec.Descriptor{}, fmt.Errorf("%w: %s is a %d-byte manifest, above the %d-byte limit",
			registry.ErrUnsupportedMediaType, ref, desc.Size, artifact.MaxManifestSize)
	}
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		return ocispec.Descriptor{}, registry.Classify(err, "reading the manifest of "+ref.String())
	}
	if err := p.Cache.StoreReader(desc, bytes.NewReader(b)); err != nil {
		p.log().Warn("caching manifest", "digest", desc.Digest.String(), "error", err)
	}
	return desc, nil
}

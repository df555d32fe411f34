package artifact

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// Copied is the result of Copy.
type Copied struct {
	Reference string             `json:"reference"`
	Digest    string             `json:"digest"`
	Tags      []string           `json:"tags,omitempty"`
	Referrers []Referrer         `json:"referrers"`
	Manifest  ocispec.Descriptor `json:"-"`
}

// CopyOptions control Copy.
type CopyOptions struct {
	// Concurrency bounds parallel blob copies; default 3 (oras-go's).
	Concurrency int
}

// Copy replicates the artifact ref from src to dst by digest, with everything that refers to it
// (signatures, SBOMs, attestations; through the referrers API or the referrers tag schema, written the
// same way on dst) and cosign's legacy sha256-<hex>.sig/.att/.sbom tags, then tags it with tags
// (default: ref's tag). Blobs already in dst are not sent again.
func Copy(ctx context.Context, src registry.Repository, ref registry.Reference, dst registry.Repository, dstRef registry.Reference, tags []string, opts CopyOptions) (*Copied, error) {
	desc, err := ResolveDescriptor(ctx, src, ref)
	if err != nil {
		return nil, err
	}
	graph := oras.DefaultExtendedCopyGraphOptions
	if opts.Concurrency > 0 {
		graph.Concurrency = opts.Concurrency
	}
	if err := oras.ExtendedCopyGraph(ctx, src, dst, desc, graph); err != nil {
		return nil, registry.Classify(err, fmt.Sprintf("copying %s with its referrers", desc.Digest))
	}
	for _, suffix := range []string{".sig", ".att", ".sbom"} {
		tag := LegacyTag(desc, suffix)
		if _, err := src.Resolve(ctx, tag); err != nil {
			continue
		}
		if _, err := oras.Copy(ctx, src, tag, dst, tag, oras.DefaultCopyOptions); err != nil {
			return nil, registry.Classify(err, "copying "+tag)
		}
	}
	if len(tags) == 0 && ref.Tag != "" {
		tags = []string{ref.Tag}
	}
	for _, t := range tags {
		if err := dst.Tag(ctx, desc, t); err != nil {
			return nil, registry.Classify(err, "tagging "+t)
		}
	}
	refs, err := ListReferrers(ctx, dst, desc)
	if err != nil {
		return nil, registry.Classify(err, "listing copied referrers")
	}
	return &Copied{Reference: dstRef.WithDigest(desc.Digest).String(), Digest: desc.Digest.String(), Tags: tags,
		Referrers: refs, Manifest: desc}, nil
}

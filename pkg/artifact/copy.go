package artifact

import (
	"context"
	"fmt"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// Copied is the result of Copy.
type Copied struct {
	Reference string     `json:"reference"`
	Digest    string     `json:"digest"`
	Tags      []string   `json:"tags,omitempty"`
	Referrers []Referrer `json:"referrers"`
	// Pushed counts the manifests and blobs sent; TagsWritten the tags (including legacy signature
	// tags) set. Both are 0 when a re-run finds everything in place.
	Pushed      int                `json:"pushed"`
	TagsWritten []string           `json:"tagsWritten,omitempty"`
	Manifest    ocispec.Descriptor `json:"-"`
}

// CopyOptions control Copy.
type CopyOptions struct {
	// Concurrency bounds parallel blob copies; default 3 (oras-go's).
	Concurrency int
}

// Copy replicates the artifact ref from src to dst by digest, with everything that refers to it
// (signatures, SBOMs, attestations; through the referrers API or the referrers tag schema, written the
// same way on dst) and cosign's legacy sha256-<hex>.sig/.att/.sbom tags, then tags it with tags
// (default: ref's tag). Content goes first, signatures and referrers next, tags last.
//
// Copy is idempotent: blobs and manifests dst has are not sent again, and a tag that already points
// at the digest is not written again, so a re-run with nothing new only reads, and registries with
// immutable tags (Harbor's tag immutability rules) accept it.
func Copy(ctx context.Context, src registry.Repository, ref registry.Reference, dst registry.Repository, dstRef registry.Reference, tags []string, opts CopyOptions) (*Copied, error) {
	desc, err := ResolveDescriptor(ctx, src, ref)
	if err != nil {
		return nil, err
	}
	var pushed atomic.Int64
	graph := oras.DefaultExtendedCopyGraphOptions
	if opts.Concurrency > 0 {
		graph.Concurrency = opts.Concurrency
	}
	graph.PostCopy = func(context.Context, ocispec.Descriptor) error { pushed.Add(1); return nil }
	if err := oras.ExtendedCopyGraph(ctx, src, dst, desc, graph); err != nil {
		return nil, registry.Classify(err, fmt.Sprintf("copying %s with its referrers", desc.Digest))
	}
	var written []string
	for _, suffix := range []string{".sig", ".att", ".sbom"} {
		tag := LegacyTag(desc, suffix)
		sig, err := src.Resolve(ctx, tag)
		if err != nil {
			continue
		}
		if err := oras.CopyGraph(ctx, src, dst, sig, graph.CopyGraphOptions); err != nil {
			return nil, registry.Classify(err, "copying "+tag)
		}
		if written, err = tagOnce(ctx, dst, sig, tag, written); err != nil {
			return nil, err
		}
	}
	if len(tags) == 0 && ref.Tag != "" {
		tags = []string{ref.Tag}
	}
	for _, t := range tags {
		if written, err = tagOnce(ctx, dst, desc, t, written); err != nil {
			return nil, err
		}
	}
	refs, err := ListReferrers(ctx, dst, desc)
	if err != nil {
		return nil, registry.Classify(err, "listing copied referrers")
	}
	return &Copied{Reference: dstRef.WithDigest(desc.Digest).String(), Digest: desc.Digest.String(), Tags: tags,
		Referrers: refs, Pushed: int(pushed.Load()), TagsWritten: written, Manifest: desc}, nil
}

// tagOnce points tag at desc in dst unless it already points there, and appends a tag it wrote to
// written. A tag pointing elsewhere is moved; a registry with immutable tags refuses that, and says so.
func tagOnce(ctx context.Context, dst registry.Repository, desc ocispec.Descriptor, tag string, written []string) ([]string, error) {
	what := fmt.Sprintf("tagging %s as %s", desc.Digest, tag)
	if cur, err := dst.Resolve(ctx, tag); err == nil {
		if cur.Digest == desc.Digest {
			return written, nil
		}
		what = fmt.Sprintf("moving tag %s from %s to %s (a registry with immutable tags refuses this: copy under a new tag)",
			tag, cur.Digest, desc.Digest)
	}
	if err := dst.Tag(ctx, desc, tag); err != nil {
		return written, registry.Classify(err, what)
	}
	return append(written, tag), nil
}

// TagOnce points tag at desc in dst unless it already points there, and reports whether it wrote;
// pkg/images uses it for the images it replicates, so both follow one rule for tags.
func TagOnce(ctx context.Context, dst registry.Repository, desc ocispec.Descriptor, tag string) (bool, error) {
	written, err := tagOnce(ctx, dst, desc, tag, nil)
	return len(written) > 0, err
}

package artifact

import (
	"context"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// checkTagMoves refuses to move a tag off a digest that carries signatures when the caller does not
// sign what it publishes: the tag would then point at an unsigned digest and stop verifying, and the
// signed release it named would be reachable only by digest. With opts.Force the move is made and
// opts.Warn names the digest the tag left.
func checkTagMoves(ctx context.Context, repo oras.Target, tags []string, to ocispec.Descriptor, opts PublishOptions) error {
	if opts.Signing {
		return nil
	}
	for _, tag := range tags {
		old, evidence, err := signedTagTarget(ctx, repo, tag)
		if err != nil {
			return err
		}
		if evidence == "" || old.Digest == to.Digest {
			continue
		}
		if !opts.Force {
			return fmt.Errorf("%w: tag %s points at %s, which has %s; publishing without --sign would move the tag "+
				"to the unsigned %s and leave it unverifiable: add --sign --key KEY, use a new tag, or pass --force "+
				"to move it anyway", ErrSignedTagMoved, tag, old.Digest, evidence, to.Digest)
		}
		if opts.Warn != nil {
			opts.Warn(fmt.Sprintf("moving tag %s off the signed %s (%s) to the unsigned %s: the tag no longer verifies until it is signed",
				tag, old.Digest, evidence, to.Digest))
		}
	}
	return nil
}

// signedTagTarget resolves tag and reports which signature evidence its digest has ("" for none).
// Nothing is verified: the question is only whether a signature would be orphaned, so a claimed
// signature (any Sigstore bundle or cosign signature referrer, or a legacy .sig tag) counts.
func signedTagTarget(ctx context.Context, repo oras.Target, tag string) (ocispec.Descriptor, string, error) {
	old, err := repo.Resolve(ctx, tag)
	if errors.Is(err, errdef.ErrNotFound) {
		return old, "", nil
	}
	if err != nil {
		return old, "", registry.Classify(err, "resolving tag "+tag)
	}
	if _, err := repo.Resolve(ctx, LegacyTag(old, ".sig")); err == nil {
		return old, "a cosign signature (" + LegacyTag(old, ".sig") + ")", nil
	}
	graph, ok := repo.(content.ReadOnlyGraphStorage)
	if !ok {
		return old, "", nil
	}
	refs, err := ListReferrers(ctx, graph, old)
	if err != nil {
		return old, "", registry.Classify(err, "listing referrers of "+old.Digest.String())
	}
	for _, r := range refs {
		if isSignatureReferrer(r) {
			return old, "a signature referrer (" + r.Kind + " " + r.Digest + ")", nil
		}
	}
	return old, "", nil
}

// isSignatureReferrer counts bundles and cosign signatures, and referrers that declare no type: some
// registries report a Sigstore bundle's empty config media type instead of its artifactType.
func isSignatureReferrer(r Referrer) bool {
	switch r.Kind {
	case LabelSigstoreBundle, LabelCosignSignature:
		return true
	}
	return r.ArtifactType == "" || r.ArtifactType == ocispec.MediaTypeEmptyJSON
}

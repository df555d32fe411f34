package replicate

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// ErrTagMove is returned when a tag to add already points at another digest and moving it was not allowed.
var ErrTagMove = errors.New("tag points at another digest")

// SignFunc signs the binding of tag to the digest it now resolves to, and returns the signature manifest.
type SignFunc func(ctx context.Context, tag string) (ocispec.Descriptor, error)

// PromoteOptions control Promote.
type PromoteOptions struct {
	// Force allows moving a tag that points at another digest.
	Force bool
	// Sign, when set, signs each tag's binding after it is set.
	Sign SignFunc
	// Signed, when set, finds a signature that already binds tag to desc (the one Sign would make);
	// Sign is then not called, so that promoting again writes nothing.
	Signed func(ctx context.Context, desc ocispec.Descriptor, tag string) (digest.Digest, bool)
}

// Promotion is Promote's result, shaped for -o json|yaml.
type Promotion struct {
	Reference string     `json:"reference"`
	Digest    string     `json:"digest"`
	Tags      []TagMoved `json:"tags"`
}

// TagMoved is one tag Promote set.
type TagMoved struct {
	Tag string `json:"tag"`
	// From is the digest the tag left, empty for a new tag.
	From string `json:"from,omitempty"`
	// Written is false when the tag already pointed at the digest.
	Written   bool   `json:"written"`
	Signature string `json:"signature,omitempty"`
	// SignatureWritten is false when Signature was already there, binding the tag to the digest.
	SignatureWritten bool `json:"signatureWritten,omitempty"`
}

// Promote adds tags to the digest ref names, in repo, without re-uploading anything (`flux tag
// artifact`), and with opts.Sign signs the binding of each tag to that digest, so that the sidecar
// accepts the tag only when a signature binds it. Every tag is checked before any is written: a tag
// pointing at another digest refuses the whole promotion unless opts.Force, and the result says from
// which digest to which it moved.
func Promote(ctx context.Context, repo registry.Repository, ref registry.Reference, tags []string, opts PromoteOptions) (*Promotion, error) {
	desc, err := artifact.ResolveDescriptor(ctx, repo, ref)
	if err != nil {
		return nil, err
	}
	p := &Promotion{Reference: ref.WithDigest(desc.Digest).String(), Digest: desc.Digest.String()}
	for _, t := range tags {
		if isAttachmentTag(t) {
			return nil, fmt.Errorf("%w: %q is a signature or referrer tag name; choose another tag", registry.ErrInvalidReference, t)
		}
		cur, err := repo.Resolve(ctx, t)
		m := TagMoved{Tag: t, Written: true}
		switch {
		case isNotFound(err):
		case err != nil:
			return nil, registry.Classify(err, "resolving tag "+t)
		case cur.Digest == desc.Digest:
			m.Written = false
		case !opts.Force:
			return nil, fmt.Errorf("%w: %s points at %s; moving it to %s needs --force (nothing was changed)",
				ErrTagMove, ref.WithTag(t), cur.Digest, desc.Digest)
		default:
			m.From = cur.Digest.String()
		}
		p.Tags = append(p.Tags, m)
	}
	for i, m := range p.Tags {
		if m.Written {
			if err := repo.Tag(ctx, desc, m.Tag); err != nil {
				return p, registry.Classify(err, fmt.Sprintf("tagging %s as %s", desc.Digest, m.Tag))
			}
		}
		if opts.Signed != nil {
			if d, ok := opts.Signed(ctx, desc, m.Tag); ok {
				p.Tags[i].Signature = d.String()
				continue
			}
		}
		if opts.Sign != nil {
			sig, err := opts.Sign(ctx, m.Tag)
			if err != nil {
				return p, fmt.Errorf("signing the binding of tag %s (the tag is set, unsigned: run again to sign it): %w", m.Tag, err)
			}
			p.Tags[i].Signature, p.Tags[i].SignatureWritten = sig.Digest.String(), true
		}
	}
	return p, nil
}

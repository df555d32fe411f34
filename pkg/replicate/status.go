package replicate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Status marks of one tag at one zone.
const (
	InSync = "in-sync"
	// Behind: the zone serves the hub's digest but lacks some of its referrers or signature tags, or
	// an image its images lock pins (a replication that has not finished); replicate again.
	Behind = "behind"
	// Diverged: the zone serves another digest under the tag than the hub.
	Diverged = "diverged"
	// Missing: the zone does not have the tag.
	Missing = "missing"
	// Unsigned: the zone serves the hub's digest with every referrer, but no signature there verifies
	// the digest and the tag under the policy.
	Unsigned = "unsigned"
	// Unknown: the zone could not be read; Reason says why.
	Unknown = "error"
)

// Target is one zone to compare with the hub: where the hub repository's copy lives there.
type Target struct {
	Name string
	Ref  registry.Reference
	Repo registry.Repository
	// Images, when set, is where the zone keeps locked images (Zone.ImagesDestination): every image
	// of a tag's images lock is asked for there by digest. An Open that returns ErrNoImagesMirror
	// leaves that image unchecked (the zone pulls it from upstream).
	Images *imagecopy.Destination
}

// VerifyFunc verifies desc, read from store, under the policy for the hub repository, with tag bound.
type VerifyFunc func(ctx context.Context, store registry.Repository, desc ocispec.Descriptor, tag string) error

// StatusOptions control Status.
type StatusOptions struct {
	// Verify, when set, checks the signatures each zone serves; without it only their presence is compared.
	Verify VerifyFunc
	// Concurrency bounds the zones × tags read at once; default 8.
	Concurrency int
}

// StatusReport is Status's result, shaped for -o json|yaml.
type StatusReport struct {
	Hub   string   `json:"hub"`
	Zones []string `json:"zones"`
	Tags  []Tag    `json:"tags"`
	Cells []*Cell  `json:"cells"`
}

// Tag is one hub tag and what it points at.
type Tag struct {
	Tag    string        `json:"tag"`
	Digest digest.Digest `json:"digest"`
	Type   string        `json:"type,omitempty"`
}

// Cell is one tag at one zone.
type Cell struct {
	Zone       string `json:"zone"`
	Tag        string `json:"tag"`
	State      string `json:"state"`
	ZoneDigest string `json:"zoneDigest,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// Images says whether every image of the artifact's images lock is at the zone's images prefix
	// (InSync or Missing); empty when the artifact has no lock or the zone names no images prefix.
	Images string `json:"images,omitempty"`
	// ImagesLocked counts the locked images checked; ImagesMissing names those the zone lacks.
	ImagesLocked  int      `json:"imagesLocked,omitempty"`
	ImagesMissing []string `json:"imagesMissing,omitempty"`
}

// Drifted reports whether any zone is not in sync for any tag (a cell that could not be read counts
// as an error, not as drift; see Errors).
func (r *StatusReport) Drifted() bool {
	return slices.ContainsFunc(r.Cells, func(c *Cell) bool { return c.State != InSync && c.State != Unknown })
}

// Errors lists the cells that could not be read.
func (r *StatusReport) Errors() []*Cell {
	var out []*Cell
	for _, c := range r.Cells {
		if c.State == Unknown {
			out = append(out, c)
		}
	}
	return out
}

// Status compares each zone's copy of the hub repository with the hub, for ref's tag or, when ref
// names no tag, every tag of the hub repository (signature and referrer tags aside). The hub is read
// once per tag; each zone with a tag resolve, a referrers listing, and the verification when asked;
// with a zone's images destination, each locked image once per zone (a manifest HEAD).
func Status(ctx context.Context, hub registry.Repository, ref registry.Reference, zones []Target, opts StatusOptions) (*StatusReport, error) {
	all := allTags(ctx, hub)
	tags, err := hubTags(ref, all)
	if err != nil {
		return nil, err
	}
	rep := &StatusReport{Hub: ref.Name()}
	for _, z := range zones {
		rep.Zones = append(rep.Zones, z.Name)
	}
	wantImages := slices.ContainsFunc(zones, func(z Target) bool { return z.Images != nil })
	arts := map[digest.Digest]*Artifact{}
	for _, t := range tags {
		desc, err := hub.Resolve(ctx, t)
		if err != nil {
			return nil, registry.Classify(err, "resolving "+ref.WithTag(t).String()+" on the hub")
		}
		a, ok := arts[desc.Digest]
		if !ok {
			a = &Artifact{Repository: ref.Repository, Digest: desc.Digest, desc: desc}
			if err := a.readAttachments(ctx, hub, all); err != nil {
				return nil, err
			}
			a.Type = artifact.TypeOf(ctx, hub, desc)
			if wantImages {
				if a.images, err = readLock(ctx, hub, desc); err != nil {
					return nil, fmt.Errorf("reading the images lock of %s: %w", ref.WithDigest(desc.Digest), err)
				}
			}
			arts[desc.Digest] = a
		}
		a.Tags = append(a.Tags, t)
		rep.Tags = append(rep.Tags, Tag{Tag: t, Digest: desc.Digest, Type: a.Type})
	}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(cmp.Or(opts.Concurrency, 8))
	for _, z := range zones {
		seen := &imageChecks{done: map[string]error{}}
		for _, t := range rep.Tags {
			g.Go(func() error {
				c := zoneCell(ctx, z, arts[t.Digest], t.Tag, opts.Verify, seen)
				mu.Lock()
				rep.Cells = append(rep.Cells, c)
				mu.Unlock()
				return nil
			})
		}
	}
	_ = g.Wait()
	order := func(c *Cell) int { return slices.Index(rep.Zones, c.Zone)*len(tags) + slices.Index(tags, c.Tag) }
	slices.SortFunc(rep.Cells, func(a, b *Cell) int { return order(a) - order(b) })
	return rep, nil
}

// hubTags is ref's tag, or every tag of the repository that is not a signature or referrer tag.
func hubTags(ref registry.Reference, all []string) ([]string, error) {
	if ref.Digest != "" {
		return nil, fmt.Errorf("%w: %s: status compares tags; give REPO or REPO:TAG", registry.ErrInvalidReference, ref)
	}
	if ref.Tag != "" {
		return []string{ref.Tag}, nil
	}
	var out []string
	for _, t := range all {
		if !isAttachmentTag(t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s has no tags on the hub", registry.ErrNotFound, ref.Name())
	}
	slices.Sort(out)
	return out, nil
}

// allTags lists the hub repository's tags, legacy signature tags included (nil when it cannot: the
// tag resolves then say what is wrong).
func allTags(ctx context.Context, hub registry.Repository) []string {
	var tags []string
	if err := hub.Tags(ctx, "", func(t []string) error { tags = append(tags, t...); return nil }); err != nil {
		return nil
	}
	return tags
}

func zoneCell(ctx context.Context, z Target, a *Artifact, tag string, verify VerifyFunc, seen *imageChecks) *Cell {
	c := &Cell{Zone: z.Name, Tag: tag}
	d, err := z.Repo.Resolve(ctx, tag)
	switch {
	case isNotFound(err):
		c.State, c.Reason = Missing, "the zone has no tag "+tag
		return c
	case err != nil:
		c.State, c.Reason = Unknown, registry.Classify(err, "resolving "+z.Ref.WithTag(tag).String()).Error()
		return c
	}
	c.ZoneDigest = d.Digest.String()
	if d.Digest != a.Digest {
		c.State, c.Reason = Diverged, fmt.Sprintf("the zone serves %s, the hub %s", d.Digest, a.Digest)
		return c
	}
	lacks, err := missingAttachments(ctx, z.Repo, a)
	if err == nil && z.Images != nil && len(a.images) > 0 {
		err = c.checkImages(ctx, z, a, seen)
	}
	if err != nil {
		c.State, c.Reason = Unknown, err.Error()
		return c
	}
	if len(c.ImagesMissing) > 0 {
		lacks = append(lacks, fmt.Sprintf("%d of %d locked images missing at the zone (%s)", len(c.ImagesMissing), c.ImagesLocked, c.ImagesMissing[0]))
	}
	if len(lacks) > 0 {
		c.State, c.Reason = Behind, strings.Join(lacks, "; ")
		return c
	}
	if verify != nil {
		if err := verify(ctx, z.Repo, d, tag); err != nil {
			c.State, c.Reason = Unsigned, err.Error()
			return c
		}
	}
	c.State = InSync
	return c
}

// imageChecks remembers, per zone, what was found for each locked image, so that tags sharing a
// digest, or artifacts sharing an image, ask the zone once.
type imageChecks struct {
	mu   sync.Mutex
	done map[string]error
}

// checkImages asks the zone for every locked image of a by digest and records the answer in c: a
// missing image is drift (the zone cannot run the release); a zone that cannot be read is an error.
func (c *Cell) checkImages(ctx context.Context, z Target, a *Artifact, seen *imageChecks) error {
	for _, im := range a.images {
		if im.Digest == "" {
			continue // unpinned: the sidecar leaves it pointing upstream
		}
		key := imageKey(im)
		seen.mu.Lock()
		err, ok := seen.done[key]
		seen.mu.Unlock()
		if !ok {
			err = imageAt(ctx, *z.Images, im)
			seen.mu.Lock()
			seen.done[key] = err
			seen.mu.Unlock()
		}
		switch {
		case errors.Is(err, ErrNoImagesMirror):
			continue
		case err == nil:
		case isNotFound(err) || errors.Is(err, registry.ErrDigestMismatch):
			c.ImagesMissing = append(c.ImagesMissing, im.Name+"@"+im.Digest)
		default:
			return fmt.Errorf("asking the zone's images prefix for %s: %w", im.Name, err)
		}
		c.ImagesLocked++
	}
	switch {
	case c.ImagesLocked == 0:
	case len(c.ImagesMissing) > 0:
		c.Images = Missing
	default:
		c.Images = InSync
	}
	return nil
}

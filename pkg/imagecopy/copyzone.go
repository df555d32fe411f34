package imagecopy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	orasregistry "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// zone is one destination during a copy: it remembers which repository of the registry holds each
// blob seen so far, so that the next image that needs it mounts it instead of uploading it.
type zone struct {
	Destination
	mu    sync.Mutex
	blobs map[digest.Digest]string
}

func newZone(d Destination) *zone { return &zone{Destination: d, blobs: map[digest.Digest]string{}} }

// target is where im is at this destination, pinned by digest.
func (z *zone) target(im images.Image) string {
	if z.Layout {
		return z.Name + "@" + im.Digest
	}
	return images.MirrorName(z.Name, im.Name) + "@" + im.Digest
}

// rootTag is the tag written last for im: its own tag at a zone, name@digest in a layout.
func (z *zone) rootTag(im images.Image) string {
	if z.Layout {
		return LayoutTag(im.Name, im.Digest)
	}
	return im.Tag
}

func (z *zone) done(cfg *copyConfig, r ImageReport) {
	if cfg.onImage != nil {
		cfg.onImage(z.Name, r)
	}
}

// place puts one image at this destination unless it is already complete there.
func (z *zone) place(ctx context.Context, cfg *copyConfig, im images.Image, g *graph, base ImageReport) ImageReport {
	r := base
	r.Target = z.target(im)
	dst, err := z.Open(im.Name)
	if err != nil {
		r.Status, r.Reason = StatusFailed, err.Error()
		return r
	}
	cfg.caps.apply(dst)
	if r, ok := dst.(*remote.Repository); ok {
		// On a registry without the referrers API, adding a referrer replaces the sha256-<hex> index
		// tag; oras-go then deletes the old index, which zones that disable deletes (Distribution's
		// default) refuse, failing a copy that succeeded. The old index is left as untagged garbage.
		r.SkipReferrersGC = true
	}
	if z.present(ctx, cfg, dst, im, g) {
		r.Status = StatusPresent
		return r
	}
	if err := z.copy(ctx, cfg, dst, im, g, &r); err != nil {
		r.Status, r.Reason = StatusFailed, err.Error()
		if g.keep != nil && refusesPartialIndex(err) {
			r.Reason += " (this registry refuses an index whose other platforms are missing: copy without --platform, or allow partial indexes, e.g. Distribution's validation.manifests.indexes.platforms: none)"
		}
		return r
	}
	r.Status = StatusCopied
	return r
}

// refusesPartialIndex recognises a registry that validates every child of an index it is given
// (Distribution says "manifest blob unknown", go-containerregistry "Sub-manifest ... not found").
func refusesPartialIndex(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "manifest blob unknown") || strings.Contains(msg, "sub-manifest") || strings.Contains(msg, "manifest unknown")
}

// present reports whether the image is complete at dst: its root (through its tag when it has one,
// which proves both), every referrer the source has, and every legacy tag at the source's digest.
// That is one read for the root, one for the referrers and one per legacy tag; any doubt (an error)
// means not present, and the copy that follows finds out properly.
func (z *zone) present(ctx context.Context, cfg *copyConfig, dst registry.Repository, im images.Image, g *graph) bool {
	if tag := z.rootTag(im); tag != "" {
		if d, err := dst.Resolve(ctx, tag); err != nil || d.Digest != g.root.Digest {
			return false
		}
	} else if ok, err := dst.Exists(ctx, g.root); err != nil || !ok {
		return false
	}
	if len(g.referrers) > 0 {
		have, err := cfg.caps.referrers(ctx, dst, g.root)
		if err != nil {
			return false
		}
		set := map[digest.Digest]bool{}
		for _, d := range have {
			set[d.Digest] = true
		}
		for _, d := range g.referrers {
			if !set[d.Digest] {
				return false
			}
		}
	}
	for _, l := range g.legacy {
		if d, err := dst.Resolve(ctx, l.tag); err != nil || d.Digest != l.desc.Digest {
			return false
		}
	}
	return true
}

// copy sends what dst lacks: the image with its referrers (content before the manifests that name
// it), then the legacy tags, then the image's tag.
func (z *zone) copy(ctx context.Context, cfg *copyConfig, dst registry.Repository, im images.Image, g *graph, r *ImageReport) error {
	var pushed, mounted atomic.Int64
	var sent atomic.Int64
	repoPath := repositoryPath(dst)
	opts := oras.ExtendedCopyGraphOptions{}
	opts.Concurrency = 3
	opts.FindSuccessors = func(ctx context.Context, f content.Fetcher, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		succ, err := content.Successors(ctx, f, desc)
		if err != nil || desc.Digest != g.root.Digest || g.keep == nil {
			return succ, err
		}
		kept := succ[:0:0]
		for _, s := range succ {
			if g.keep[s.Digest] {
				kept = append(kept, s)
			}
		}
		return kept, nil
	}
	opts.FindPredecessors = func(ctx context.Context, _ content.ReadOnlyGraphStorage, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
		return g.src.predecessors(ctx, desc)
	}
	opts.PostCopy = func(_ context.Context, desc ocispec.Descriptor) error {
		pushed.Add(1)
		sent.Add(desc.Size)
		z.remember(desc, repoPath)
		return nil
	}
	opts.OnCopySkipped = func(_ context.Context, desc ocispec.Descriptor) error { z.remember(desc, repoPath); return nil }
	if repoPath != "" {
		opts.MountFrom = func(_ context.Context, desc ocispec.Descriptor) ([]string, error) {
			return z.mountFrom(desc, repoPath), nil
		}
		opts.OnMounted = func(_ context.Context, desc ocispec.Descriptor) error {
			mounted.Add(1)
			z.remember(desc, repoPath)
			return nil
		}
	}
	defer func() { r.Pushed, r.Mounted, r.Bytes = int(pushed.Load()), int(mounted.Load()), sent.Load() }()
	if err := oras.ExtendedCopyGraph(ctx, g.repo, dst, g.root, opts); err != nil {
		return registry.Classify(err, fmt.Sprintf("copying %s@%s with its referrers", im.Name, im.Digest))
	}
	for _, l := range g.legacy {
		if err := oras.CopyGraph(ctx, g.repo, dst, l.desc, opts.CopyGraphOptions); err != nil {
			return registry.Classify(err, "copying "+l.tag)
		}
		if _, err := artifact.TagOnce(ctx, dst, l.desc, l.tag); err != nil {
			return err
		}
	}
	if tag := z.rootTag(im); tag != "" {
		if _, err := artifact.TagOnce(ctx, dst, g.root, tag); err != nil {
			return err
		}
	}
	return nil
}

// remember notes that this zone's repository repoPath holds the blob desc.
func (z *zone) remember(desc ocispec.Descriptor, repoPath string) {
	if repoPath == "" || isManifest(desc.MediaType) {
		return
	}
	z.mu.Lock()
	z.blobs[desc.Digest] = repoPath
	z.mu.Unlock()
}

func (z *zone) mountFrom(desc ocispec.Descriptor, repoPath string) []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	if from, ok := z.blobs[desc.Digest]; ok && from != repoPath {
		return []string{from}
	}
	return nil
}

// repositoryPath is a remote repository's path inside its registry; empty for a layout, which has
// no cross-repository mount.
func repositoryPath(repo registry.Repository) string {
	if r, ok := repo.(*remote.Repository); ok {
		return r.Reference.Repository
	}
	return ""
}

// capabilities remembers, per registry host, whether it has the referrers API, so that every
// repository opened after the first skips the probe (one request per image on Distribution). The
// first listing on a host runs alone, so that images copied concurrently do not all probe.
type capabilities struct {
	mu      sync.Mutex
	hosts   map[string]bool
	probing sync.Mutex
}

// referrers lists what refers to desc in repo (the API or the tag schema), probing a host once.
func (c *capabilities) referrers(ctx context.Context, repo registry.Repository, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	r, ok := repo.(*remote.Repository)
	if !ok {
		return orasregistry.Referrers(ctx, repo, desc, "")
	}
	c.mu.Lock()
	_, known := c.hosts[r.Reference.Registry]
	c.mu.Unlock()
	if !known {
		c.probing.Lock()
		defer c.probing.Unlock()
	}
	c.apply(repo) // learnt since the repository was opened, or while this waited for the probe
	refs, err := orasregistry.Referrers(ctx, repo, desc, "")
	if err == nil {
		c.learn(repo)
	}
	return refs, err
}

// apply tells a fresh repository what its registry is known to support.
func (c *capabilities) apply(repo registry.Repository) {
	r, ok := repo.(*remote.Repository)
	if !ok || c == nil {
		return
	}
	c.mu.Lock()
	capable, known := c.hosts[r.Reference.Registry]
	c.mu.Unlock()
	if known {
		_ = r.SetReferrersCapability(capable)
	}
}

// learn records what a repository found out during a successful referrers listing: setting the
// capability to true fails exactly when oras-go has found the registry without the API.
func (c *capabilities) learn(repo registry.Repository) {
	r, ok := repo.(*remote.Repository)
	if !ok || c == nil {
		return
	}
	err := r.SetReferrersCapability(true)
	capable := err == nil
	if err != nil && !errors.Is(err, remote.ErrReferrersCapabilityAlreadySet) {
		return
	}
	c.mu.Lock()
	if c.hosts == nil {
		c.hosts = map[string]bool{}
	}
	c.hosts[r.Reference.Registry] = capable
	c.mu.Unlock()
}

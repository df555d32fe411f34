package imagecopy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// maxManifest bounds a manifest or index read from a source (registries cap them at 4 MiB).
const maxManifest = 4 << 20

// legacySuffixes are cosign's tag-based attachments, in the order they are copied.
var legacySuffixes = []string{".sig", ".att", ".sbom"}

// graph is one image as read from its source, once, for every destination.
type graph struct {
	repo registry.Repository // the source repository, manifests cached
	src  *source
	root ocispec.Descriptor
	// platforms are the index's platforms (all of them, or those kept); keep is the set of index
	// children to copy, nil for all.
	platforms []string
	keep      map[digest.Digest]bool
	referrers []ocispec.Descriptor
	legacy    []legacyTag
}

type legacyTag struct {
	tag  string
	desc ocispec.Descriptor
}

// readGraph resolves the locked digest at the image's source, reads its platforms, referrers and
// legacy tags.
func readGraph(ctx context.Context, cfg *copyConfig, im images.Image, open Opener) (*graph, error) {
	repo, err := open(im.Name)
	if err != nil {
		return nil, err
	}
	cfg.caps.apply(repo)
	src := &source{Repository: repo, progress: cfg.progress, manifests: map[digest.Digest][]byte{},
		preds: map[digest.Digest][]ocispec.Descriptor{}}
	root, err := repo.Resolve(ctx, im.Digest)
	if err != nil {
		return nil, registry.Classify(err, fmt.Sprintf("resolving %s@%s at its source", im.Name, im.Digest))
	}
	if root.Digest.String() != im.Digest {
		return nil, fmt.Errorf("the source of %s answered %s for the locked digest %s: refusing it", im.Name, root.Digest, im.Digest)
	}
	g := &graph{repo: src, src: src, root: root}
	if err := g.readPlatforms(ctx, cfg.platforms); err != nil {
		return nil, fmt.Errorf("%s@%s: %w", im.Name, im.Digest, err)
	}
	if g.referrers, err = cfg.caps.referrers(ctx, repo, root); err != nil && !errors.Is(err, errdef.ErrNotFound) {
		return nil, registry.Classify(err, fmt.Sprintf("listing the referrers of %s@%s", im.Name, im.Digest))
	}
	src.preds[root.Digest] = g.referrers
	for _, suffix := range legacySuffixes {
		tag := artifact.LegacyTag(root, suffix)
		d, err := repo.Resolve(ctx, tag)
		if errors.Is(err, errdef.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, registry.Classify(err, fmt.Sprintf("resolving %s:%s", im.Name, tag))
		}
		g.legacy = append(g.legacy, legacyTag{tag: tag, desc: d})
	}
	return g, nil
}

// readPlatforms lists an index's platforms and, when only some are wanted, which children to keep.
func (g *graph) readPlatforms(ctx context.Context, want []string) error {
	if g.root.MediaType != ocispec.MediaTypeImageIndex && g.root.MediaType != "application/vnd.docker.distribution.manifest.list.v2+json" {
		return nil // one platform: copied as it is
	}
	raw, err := content.FetchAll(ctx, g.src, g.root)
	if err != nil {
		return registry.Classify(err, "reading the image index")
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("decoding the image index: %v", err)
	}
	var all []string
	for _, m := range idx.Manifests {
		if p := platformOf(m.Platform); p != "" {
			all = append(all, p)
		}
	}
	if len(want) == 0 {
		g.platforms = all
		return nil
	}
	g.keep = map[digest.Digest]bool{}
	for _, w := range want {
		found := false
		for _, m := range idx.Manifests {
			if platformOf(m.Platform) == w {
				g.keep[m.Digest], found = true, true
			}
		}
		if !found {
			return fmt.Errorf("the image has no %s manifest (it has %s): drop %s from --platform", w, strings.Join(all, ", "), w)
		}
	}
	for _, m := range idx.Manifests {
		// attestation manifests (buildx's unknown/unknown) ride along with the platform they describe
		if m.Annotations["vnd.docker.reference.type"] != "" && g.keep[digest.Digest(m.Annotations["vnd.docker.reference.digest"])] {
			g.keep[m.Digest] = true
		}
	}
	g.platforms = slices.Clone(want)
	return nil
}

// source reads one image's repository: manifests are fetched once and kept (every destination needs
// them), blobs are streamed each time (through the progress display), predecessors listed once.
type source struct {
	registry.Repository
	progress  artifact.Progress
	mu        sync.Mutex
	manifests map[digest.Digest][]byte
	preds     map[digest.Digest][]ocispec.Descriptor
}

// Fetch serves a manifest from memory after its first read, and tracks a blob's bytes.
func (s *source) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if !isManifest(desc.MediaType) || desc.Size > maxManifest {
		rc, err := s.Repository.Fetch(ctx, desc)
		if err != nil || s.progress == nil {
			return rc, err
		}
		return readCloser{Reader: s.progress.Track(desc, rc), Closer: rc}, nil
	}
	s.mu.Lock()
	raw, ok := s.manifests[desc.Digest]
	s.mu.Unlock()
	if !ok {
		var err error
		if raw, err = content.FetchAll(ctx, s.Repository, desc); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.manifests[desc.Digest] = raw
		s.mu.Unlock()
	}
	return io.NopCloser(bytes.NewReader(raw)), nil
}

// Predecessors lists what refers to desc (the referrers API or tag schema), once per digest.
func (s *source) Predecessors(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	return s.predecessors(ctx, desc)
}

func (s *source) predecessors(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	s.mu.Lock()
	p, ok := s.preds[desc.Digest]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := orasregistry.Referrers(ctx, s.Repository, desc, "")
	if errors.Is(err, errdef.ErrNotFound) || errors.Is(err, errdef.ErrUnsupported) {
		p, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.preds[desc.Digest] = p
	s.mu.Unlock()
	return p, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func isManifest(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageIndex,
		"application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json":
		return true
	}
	return false
}

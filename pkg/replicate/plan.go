package replicate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Artifact is one digest the rules select in one hub repository, with every selected tag that points
// at it and what the hub holds that refers to it.
type Artifact struct {
	Repository string        `json:"repository"`
	Digest     digest.Digest `json:"digest"`
	Tags       []string      `json:"tags"`
	// Type labels the artifact as inspect does, when known (filled by Status).
	Type string `json:"type,omitempty"`

	desc ocispec.Descriptor
	// referrers are the hub's first-level referrers (signatures, SBOMs, attestations).
	referrers []ocispec.Descriptor
	// legacy maps cosign's legacy attachment tags the hub has (sha256-<hex>.sig, ...) to their digest.
	legacy map[string]digest.Digest
	// images are the images the manifest's images lock names (read when the zones file asks for images).
	images []images.Image
}

// Plan is what the rules select on the hub.
type Plan struct {
	Hub       string      `json:"hub"`
	Artifacts []*Artifact `json:"artifacts"`
	// Notes say what the listing could not do (a hub without a catalog) and what was done instead.
	Notes []string `json:"notes,omitempty"`

	// images: the zones file asks for the locked images too (Spec.Images).
	images bool
}

// hub opens the hub's repositories, one client per repository.
type hub struct {
	host string
	opts registry.Options
	mu   sync.Mutex
	repo map[string]registry.Repository
}

func (h *hub) open(repository string) (registry.Repository, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r, ok := h.repo[repository]; ok {
		return r, nil
	}
	r, err := h.opts.Remote(h.host + "/" + repository)
	if err != nil {
		return nil, err
	}
	if h.repo == nil {
		h.repo = map[string]registry.Repository{}
	}
	h.repo[repository] = r
	return r, nil
}

// listPlan lists the hub (its catalog, or the repositories the rules name when it has none) and
// resolves every selected tag, its referrers and legacy attachment tags.
func listPlan(ctx context.Context, s *Spec, h *hub) (*Plan, error) {
	p := &Plan{Hub: h.host, images: s.Images}
	repos, err := h.repositories(ctx, s, p)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, name := range repos {
		g.Go(func() error {
			arts, err := h.listRepository(gctx, s, name)
			mu.Lock()
			defer mu.Unlock()
			p.Artifacts = append(p.Artifacts, arts...)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortFunc(p.Artifacts, func(a, b *Artifact) int {
		if a.Repository != b.Repository {
			return compareStrings(a.Repository, b.Repository)
		}
		return compareStrings(a.Tags[0], b.Tags[0])
	})
	return p, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// repositories lists the hub's repositories the rules select: from the catalog where the registry
// allows it; otherwise (or in addition) the repositories the rules name literally.
func (h *hub) repositories(ctx context.Context, s *Spec, p *Plan) ([]string, error) {
	selected := map[string]bool{}
	wildcard := false
	for _, r := range s.Rules {
		for _, g := range r.Repositories {
			if isLiteral(g) {
				selected[g] = true
			} else {
				wildcard = true
			}
		}
	}
	if wildcard {
		catalog, err := h.catalog(ctx)
		switch {
		case err != nil && len(selected) == 0:
			return nil, fmt.Errorf("listing the hub's catalog for the rules' globs: %w (a registry that does not list its "+
				"catalog to this user needs the repositories named in the rules, without wildcards)", err)
		case err != nil:
			p.Notes = append(p.Notes, fmt.Sprintf("the hub's catalog could not be listed (%v): only the repositories "+
				"the rules name without wildcards are replicated", err))
		}
		for _, name := range catalog {
			for _, r := range s.Rules {
				if r.MatchesRepository(name) {
					selected[name] = true
				}
			}
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range selected {
			if !yield(k) {
				return
			}
		}
	}), nil
}

func (h *hub) catalog(ctx context.Context) ([]string, error) {
	reg, err := remote.NewRegistry(h.host)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", registry.ErrInvalidReference, h.host, err)
	}
	if reg.Client, err = h.opts.AuthClient(h.host); err != nil {
		return nil, err
	}
	reg.PlainHTTP = h.opts.PlainHTTP
	var names []string
	err = reg.Repositories(ctx, "", func(r []string) error { names = append(names, r...); return nil })
	if err != nil {
		return nil, registry.Classify(err, "listing the catalog of "+h.host)
	}
	return names, nil
}

// listRepository lists one repository's tags and returns the artifacts the rules select in it.
func (h *hub) listRepository(ctx context.Context, s *Spec, name string) ([]*Artifact, error) {
	repo, err := h.open(name)
	if err != nil {
		return nil, err
	}
	var tags []string
	if err := repo.Tags(ctx, "", func(t []string) error { tags = append(tags, t...); return nil }); err != nil {
		return nil, registry.Classify(err, "listing the tags of "+h.host+"/"+name)
	}
	var selected []string
	for i := range s.Rules {
		r := &s.Rules[i]
		if r.MatchesRepository(name) {
			selected = append(selected, r.SelectTags(tags)...)
		}
	}
	slices.Sort(selected)
	selected = slices.Compact(selected)
	byDigest := map[digest.Digest]*Artifact{}
	var order []*Artifact
	for _, t := range selected {
		desc, err := repo.Resolve(ctx, t)
		if err != nil {
			return nil, registry.Classify(err, fmt.Sprintf("resolving %s/%s:%s", h.host, name, t))
		}
		a, ok := byDigest[desc.Digest]
		if !ok {
			a = &Artifact{Repository: name, Digest: desc.Digest, desc: desc}
			byDigest[desc.Digest] = a
			order = append(order, a)
		}
		a.Tags = append(a.Tags, t)
	}
	for _, a := range order {
		if err := a.readAttachments(ctx, repo, tags); err != nil {
			return nil, fmt.Errorf("reading what refers to %s/%s@%s: %w", h.host, name, a.Digest, err)
		}
		if s.Images {
			if a.images, err = readLock(ctx, repo, a.desc); err != nil {
				return nil, fmt.Errorf("reading the images lock of %s/%s@%s: %w", h.host, name, a.Digest, err)
			}
		}
	}
	return order, nil
}

// readAttachments reads a's first-level referrers and the legacy attachment tags the tag list shows.
func (a *Artifact) readAttachments(ctx context.Context, repo registry.Repository, tags []string) error {
	refs, err := referrers(ctx, repo, a.desc)
	if err != nil {
		return err
	}
	a.referrers = refs
	for _, suffix := range []string{".sig", ".att", ".sbom"} {
		t := artifact.LegacyTag(a.desc, suffix)
		if !slices.Contains(tags, t) {
			continue
		}
		d, err := repo.Resolve(ctx, t)
		if err != nil {
			return registry.Classify(err, "resolving "+t)
		}
		if a.legacy == nil {
			a.legacy = map[string]digest.Digest{}
		}
		a.legacy[t] = d.Digest
	}
	return nil
}

// referrers lists what refers to desc through the referrers API or the referrers tag schema.
func referrers(ctx context.Context, repo registry.Repository, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	lister, ok := repo.(interface {
		Referrers(context.Context, ocispec.Descriptor, string, func([]ocispec.Descriptor) error) error
	})
	if ok {
		var out []ocispec.Descriptor
		err := lister.Referrers(ctx, desc, "", func(r []ocispec.Descriptor) error { out = append(out, r...); return nil })
		if err != nil && !isNotFound(err) {
			return nil, registry.Classify(err, "listing referrers of "+desc.Digest.String())
		}
		return out, nil
	}
	preds, err := repo.Predecessors(ctx, desc)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	return preds, nil
}

func isNotFound(err error) bool {
	return errors.Is(err, errdef.ErrNotFound) || errors.Is(err, registry.ErrNotFound)
}

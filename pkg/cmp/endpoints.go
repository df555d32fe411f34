package cmp

import (
	"context"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// sources opens the configured mirrors of ref's registry (in order, each at its mapped repository
// path) and the registry itself. Tag bindings are checked against ref, the upstream name. Each
// mirror gets its own time budget per operation (mirrorBudget); every source lists at most
// maxReferrerPages pages of referrers. Credentials are those the configuration gives project.
func (p *Pipeline) sources(ctx context.Context, ref registry.Reference, project string) (*sources, error) {
	s := &sources{onSkip: func(name string, desc ocispec.Descriptor, err error) {
		p.log().Debug("source skipped", "source", name, "digest", desc.Digest.String(), "error", err)
		p.skips.record(name, desc, err)
	}}
	if ref.IsLayout() {
		repo, err := p.Registry.Open(ref)
		if err != nil {
			return nil, err
		}
		s.endpoints = []endpoint{{name: ref.Name(), repo: repo, upstream: true}}
		return s, nil
	}
	reg := p.Config.RegistryFor(ref.Registry)
	if reg != nil {
		budget := p.mirrorBudget(ctx)
		for _, m := range reg.Mirrors {
			path, ok := m.MirrorPath(ref.Repository) // the copy may live under another path
			if !ok {
				continue // not under the mirror's stripPrefix: the mirror does not hold it
			}
			e, err := p.open(p.Config.MirrorEndpoint(m), project, path, false) // a bare host takes its registries entry
			if err != nil {
				return nil, err
			}
			e.repo = &budgeted{Repository: e.repo.(*remote.Repository), name: e.name, budget: budget, log: p.log()}
			s.endpoints = append(s.endpoints, e)
		}
	}
	var e endpoint
	var err error
	if reg != nil {
		e, err = p.open(reg.Endpoint, project, ref.Repository, true)
	} else {
		e, err = p.openDefault(ref.Registry, ref.Repository)
	}
	if err != nil {
		return nil, err
	}
	if r, ok := e.repo.(*remote.Repository); ok {
		e.repo = &downOnce{Repository: r, name: e.name} // a hub found down is not asked again this sync
	}
	s.endpoints = append(s.endpoints, e)
	return s, nil
}

// openDefault opens a registry the configuration does not list, with the Pipeline's defaults.
func (p *Pipeline) openDefault(host, repository string) (endpoint, error) {
	repo, err := p.Registry.Remote(host + "/" + repository)
	if err != nil {
		return endpoint{}, err
	}
	repo.ReferrerListMaxPages = maxReferrerPages
	return endpoint{name: host, repo: repo, upstream: true}, nil
}

func (p *Pipeline) open(ep config.Endpoint, project, repository string, upstream bool) (endpoint, error) {
	o := p.Config.EndpointOptionsFor(ep, project, p.Registry)
	repo, err := o.Remote(ep.Host + "/" + repository)
	if err != nil {
		return endpoint{}, fmt.Errorf("configuring %s: %w", ep.Host, err)
	}
	repo.ReferrerListMaxPages = maxReferrerPages
	return endpoint{name: ep.Host, repo: repo, upstream: upstream}, nil
}

// cachedFetcher reads small objects (manifests) from the cache first and keeps what it fetched.
type cachedFetcher struct {
	cache *cache.Cache
	next  *sources
}

func (f *cachedFetcher) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if rc, err := f.cache.Fetch(ctx, desc); err == nil {
		return rc, nil
	}
	rc, err := f.next.Fetch(ctx, desc) // small objects come back read whole and checked
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if err := f.cache.StoreReader(desc, rc); err != nil {
		return nil, err
	}
	return f.cache.Fetch(ctx, desc)
}

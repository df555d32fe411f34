package cmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// smallBlob is the size up to which a fetch is read whole and checked before it is handed on, so a
// mirror serving other bytes for a manifest or signature is skipped instead of failing the sync.
const smallBlob = artifact.MaxManifestSize

// endpoint is one place the artifact's repository can be read: a zone mirror or the registry itself.
type endpoint struct {
	name string
	repo registry.Repository
	// upstream marks the registry itself (the hub), whose tag answers are authoritative.
	upstream bool
}

// sources reads from mirrors first and the upstream last, trusting none of them: every object is
// checked against its digest, and a source that fails or lies is skipped for that object.
// It implements oras.ReadOnlyGraphTarget, so signature verification reads through it too.
type sources struct {
	endpoints []endpoint
	onSkip    func(name string, desc ocispec.Descriptor, err error)
}

// Fetch returns desc's content from the first source that serves it intact (for small objects) or
// serves it at all (for large ones, which callers stream through a verifying reader to a file).
func (s *sources) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	var errs []error
	for _, e := range s.endpoints {
		rc, err := e.repo.Fetch(ctx, desc)
		if err == nil && desc.Size <= smallBlob {
			var b []byte
			b, err = content.ReadAll(rc, desc)
			rc.Close()
			if err == nil {
				return io.NopCloser(bytes.NewReader(b)), nil
			}
		} else if err == nil {
			return rc, nil
		}
		s.skip(e.name, desc, err)
		errs = append(errs, fmt.Errorf("%s: %w", e.name, err))
	}
	return nil, fmt.Errorf("fetching %s: %w", desc.Digest, errors.Join(errs...))
}

// Exists reports whether any source has desc.
func (s *sources) Exists(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	for _, e := range s.endpoints {
		if ok, err := e.repo.Exists(ctx, desc); err == nil && ok {
			return true, nil
		}
	}
	return false, nil
}

// Resolve asks the upstream first: a tag is a pointer that only the hub owns, and a mirror's
// answer may be stale or forged (signature verification with the signed tag binding catches a forged
// one; the freshness rule in Pipeline bounds a stale one). Digests are answered by any source.
func (s *sources) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	var errs []error
	for _, e := range s.ordered() {
		d, err := e.repo.Resolve(ctx, reference)
		if err == nil {
			return d, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", e.name, err))
	}
	return ocispec.Descriptor{}, errors.Join(append(errs, errdef.ErrNotFound)...)
}

// Predecessors returns the union of every source's answer (mirrors first): a mirror may lack a
// signature or list bogus ones, and neither may hide the valid signature another source has.
// Signature verification does not use it: it lists each source on its own (SignatureSources).
func (s *sources) Predecessors(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	return s.union(func(e endpoint) ([]ocispec.Descriptor, error) { return e.repo.Predecessors(ctx, desc) })
}

// union merges every source's answer (mirrors first), each descriptor once. A source that fails is
// skipped; the answer fails only when every source failed with something other than not found.
func (s *sources) union(list func(endpoint) ([]ocispec.Descriptor, error)) ([]ocispec.Descriptor, error) {
	var out []ocispec.Descriptor
	seen := map[string]bool{}
	var errs []error
	for _, e := range s.endpoints {
		got, err := list(e)
		if err != nil {
			if !errors.Is(err, errdef.ErrNotFound) {
				errs = append(errs, fmt.Errorf("%s: %w", e.name, err))
			}
			continue
		}
		for _, d := range got {
			if !seen[d.Digest.String()] {
				seen[d.Digest.String()] = true
				out = append(out, d)
			}
		}
	}
	if len(out) == 0 && len(errs) == len(s.endpoints) && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func (s *sources) ordered() []endpoint {
	out := make([]endpoint, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		if e.upstream {
			out = append(out, e)
		}
	}
	for _, e := range s.endpoints {
		if !e.upstream {
			out = append(out, e)
		}
	}
	return out
}

func (s *sources) upstream() *endpoint {
	for i := range s.endpoints {
		if s.endpoints[i].upstream {
			return &s.endpoints[i]
		}
	}
	return nil
}

func (s *sources) skip(name string, desc ocispec.Descriptor, err error) {
	if s.onSkip != nil {
		s.onSkip(name, desc, err)
	}
}

// blobSources lists the endpoints as artifact.FetchBlob sources, in order.
func (s *sources) blobSources() []artifact.Source {
	out := make([]artifact.Source, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		out = append(out, artifact.Source{Name: e.name, Fetcher: e.repo})
	}
	return out
}

// mirrorsOnly is s without the upstream.
func mirrorsOnly(s *sources) *sources {
	out := &sources{onSkip: s.onSkip}
	for _, e := range s.endpoints {
		if !e.upstream {
			out.endpoints = append(out.endpoints, e)
		}
	}
	return out
}

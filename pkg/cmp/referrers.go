package cmp

import (
	"context"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	orasregistry "oras.land/oras-go/v2/registry"
)

// Referrers lists desc's referrers as the union of every source's listing (mirrors first), like
// Predecessors, but through each source's referrers API or referrers tag schema, whose entries carry
// artifactType and annotations. Without it oras-go lists predecessors and fetches every one of them
// to learn its artifactType, a request per referrer that the verifier then repeats. As with
// Predecessors, a source that fails is skipped; the listing fails only when every source failed.
func (s *sources) Referrers(ctx context.Context, desc ocispec.Descriptor, artifactType string, fn func([]ocispec.Descriptor) error) error {
	out, err := s.union(func(e endpoint) ([]ocispec.Descriptor, error) {
		return orasregistry.Referrers(ctx, e.repo, desc, artifactType)
	})
	if err != nil || len(out) == 0 {
		return err
	}
	return fn(out)
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

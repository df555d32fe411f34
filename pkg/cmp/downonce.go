package cmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// downOnce is the upstream registry for one sync: once a call finds it unreachable (refused, reset,
// closed without a response, 502/503/504 through the retries), every later call fails at once with
// that error instead of paying 1 + MaxRetries attempts with backoff again (about 4 s a call with the
// defaults, several calls a sync). The mirror rules then decide as they would have after the wait.
// Skipping a source can only take signatures away, never add one, so nothing is accepted that
// asking again would refuse.
type downOnce struct {
	*remote.Repository
	name string
	mu   sync.Mutex
	err  error
}

func (d *downOnce) down() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		return nil
	}
	return fmt.Errorf("%s was unreachable earlier in this sync, not asked again: %w", d.name, d.err)
}

// note remembers err when it means the registry is unreachable, and returns it unchanged.
func (d *downOnce) note(err error) error {
	if err != nil && errors.Is(registry.Classify(err, d.name), registry.ErrUnreachable) {
		d.mu.Lock()
		if d.err == nil {
			d.err = err
		}
		d.mu.Unlock()
	}
	return err
}

func (d *downOnce) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	if err := d.down(); err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := d.Repository.Resolve(ctx, reference)
	return desc, d.note(err)
}

func (d *downOnce) FetchReference(ctx context.Context, reference string) (ocispec.Descriptor, io.ReadCloser, error) {
	if err := d.down(); err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	desc, rc, err := d.Repository.FetchReference(ctx, reference)
	return desc, rc, d.note(err)
}

func (d *downOnce) Fetch(ctx context.Context, target ocispec.Descriptor) (io.ReadCloser, error) {
	if err := d.down(); err != nil {
		return nil, err
	}
	rc, err := d.Repository.Fetch(ctx, target)
	return rc, d.note(err)
}

func (d *downOnce) Exists(ctx context.Context, target ocispec.Descriptor) (bool, error) {
	if err := d.down(); err != nil {
		return false, err
	}
	ok, err := d.Repository.Exists(ctx, target)
	return ok, d.note(err)
}

func (d *downOnce) Predecessors(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	if err := d.down(); err != nil {
		return nil, err
	}
	out, err := d.Repository.Predecessors(ctx, desc)
	return out, d.note(err)
}

func (d *downOnce) Referrers(ctx context.Context, desc ocispec.Descriptor, artifactType string, fn func([]ocispec.Descriptor) error) error {
	if err := d.down(); err != nil {
		return err
	}
	return d.note(d.Repository.Referrers(ctx, desc, artifactType, fn))
}

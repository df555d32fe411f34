package cmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"
)

const (
	// maxReferrerPages bounds a referrers listing per source (oras-go lists every page by default);
	// the verifier also stops at signature.MaxCandidates entries per source.
	maxReferrerPages = 10
	// mirrorShare: one mirror operation may use at most 1/mirrorShare of the sync's total budget.
	mirrorShare = 4
	// fallbackTotal stands in for the total budget when neither the config nor the context sets one.
	fallbackTotal = 60 * time.Second
)

// mirrorBudget is how long one operation on a mirror may take: a share of limits.totalTimeout, else
// of what is left of ctx's deadline. A stalled or endless mirror then costs at most this, once.
func (p *Pipeline) mirrorBudget(ctx context.Context) time.Duration {
	total := p.Config.Limits.TotalTimeout.Duration
	if dl, ok := ctx.Deadline(); ok && (total <= 0 || time.Until(dl) < total) {
		total = time.Until(dl)
	}
	if total <= 0 {
		total = fallbackTotal
	}
	return total / mirrorShare
}

// budgeted bounds every operation on a mirror by its own deadline. The first operation that runs out
// of it marks the mirror spent: later operations fail at once with ErrMirrorBudget, so the sources
// go on to the next mirror or the hub without waiting again.
type budgeted struct {
	*remote.Repository
	name   string
	budget time.Duration
	spent  atomic.Bool
	log    *slog.Logger
}

func (b *budgeted) start(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if b.spent.Load() {
		return nil, nil, fmt.Errorf("%w: %s (%s), skipped", ErrMirrorBudget, b.name, b.budget)
	}
	c, cancel := context.WithTimeout(ctx, b.budget)
	return c, cancel, nil
}

// end classifies err: the mirror's own deadline (not the caller's) marks it spent.
func (b *budgeted) end(parent, ctx context.Context, err error) error {
	if err == nil || parent.Err() != nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	if !b.spent.Swap(true) {
		b.log.Warn("mirror over its time budget: skipped for the rest of this sync", "source", b.name, "budget", b.budget.String())
	}
	return fmt.Errorf("%w: %s took over %s: %w", ErrMirrorBudget, b.name, b.budget, err)
}

// Resolve resolves reference within the mirror's budget.
func (b *budgeted) Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error) {
	c, cancel, err := b.start(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer cancel()
	d, err := b.Repository.Resolve(c, reference)
	return d, b.end(ctx, c, err)
}

// Exists checks desc within the mirror's budget.
func (b *budgeted) Exists(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	c, cancel, err := b.start(ctx)
	if err != nil {
		return false, err
	}
	defer cancel()
	ok, err := b.Repository.Exists(c, desc)
	return ok, b.end(ctx, c, err)
}

// Predecessors lists desc's referrers within the mirror's budget.
func (b *budgeted) Predecessors(ctx context.Context, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	c, cancel, err := b.start(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	got, err := b.Repository.Predecessors(c, desc)
	return got, b.end(ctx, c, err)
}

// Referrers lists desc's referrers within the mirror's budget (and maxReferrerPages).
func (b *budgeted) Referrers(ctx context.Context, desc ocispec.Descriptor, artifactType string, fn func([]ocispec.Descriptor) error) error {
	c, cancel, err := b.start(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return b.end(ctx, c, b.Repository.Referrers(c, desc, artifactType, fn))
}

// Fetch opens desc within the mirror's budget, which covers reading the body too.
func (b *budgeted) Fetch(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	c, cancel, err := b.start(ctx)
	if err != nil {
		return nil, err
	}
	rc, err := b.Repository.Fetch(c, desc)
	if err != nil {
		cancel()
		return nil, b.end(ctx, c, err)
	}
	return &budgetedBody{ReadCloser: rc, b: b, parent: ctx, ctx: c, cancel: cancel}, nil
}

// FetchReference resolves and opens reference within the mirror's budget.
func (b *budgeted) FetchReference(ctx context.Context, reference string) (ocispec.Descriptor, io.ReadCloser, error) {
	c, cancel, err := b.start(ctx)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	d, rc, err := b.Repository.FetchReference(c, reference)
	if err != nil {
		cancel()
		return d, nil, b.end(ctx, c, err)
	}
	return d, &budgetedBody{ReadCloser: rc, b: b, parent: ctx, ctx: c, cancel: cancel}, nil
}

// budgetedBody is a response body read within its mirror's budget.
type budgetedBody struct {
	io.ReadCloser
	b           *budgeted
	parent, ctx context.Context
	cancel      context.CancelFunc
}

func (r *budgetedBody) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = r.b.end(r.parent, r.ctx, err)
	}
	return n, err
}

func (r *budgetedBody) Close() error {
	err := r.ReadCloser.Close()
	r.cancel()
	return err
}

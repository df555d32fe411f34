package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
	"github.com/gitless-dev/gitless/pkg/render/internal/manifest"
)

// Defaults of the render bounds; Options.MaxOutputSize and Options.MaxMemory override them.
const (
	// DefaultMaxOutputSize caps the rendered YAML stream.
	DefaultMaxOutputSize = 64 << 20
	// DefaultMaxMemory caps the memory of the renderer child process.
	DefaultMaxMemory = 1 << 30
)

// Render renders the tree at root and writes a YAML stream (documents separated by "---\n") to w.
// Every object is re-serialised with sorted keys, so equal input gives byte-identical output.
//
// Rendering is bounded: the output may not exceed Options.MaxOutputSize (ErrOutputTooLarge), and
// w receives nothing unless the whole render succeeded. When the binary called Init at the start
// of main, the render runs in a child process of the same binary that has no network, no PATH and
// at most Options.MaxMemory bytes of memory (ErrOutOfMemory), and that is killed when ctx ends.
// Otherwise it runs in this process, and at the end of ctx Render returns while the render,
// which cannot be interrupted, is abandoned.
func Render(ctx context.Context, root string, opts Options, w io.Writer) error {
	opts = opts.withBounds()
	var out []byte
	var err error
	if childReady.Load() {
		out, err = renderInChild(ctx, root, opts)
	} else {
		out, err = renderInProcess(ctx, root, opts)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// childReady records that Init ran in this process, so the binary can start a renderer child.
var childReady atomic.Bool

func (o Options) withBounds() Options {
	if o.MaxOutputSize <= 0 {
		o.MaxOutputSize = DefaultMaxOutputSize
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	return o
}

// renderStream renders into memory, capped at opts.MaxOutputSize.
func renderStream(ctx context.Context, root string, opts Options) ([]byte, error) {
	objs, err := Objects(ctx, root, opts)
	if err != nil {
		return nil, err
	}
	out := &cappedBuffer{max: opts.MaxOutputSize}
	if err := manifest.Encode(out, objs); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// renderInProcess renders in a goroutine and gives up on it when ctx ends: Helm templates and
// kustomize cannot be interrupted, but the caller's deadline still holds.
func renderInProcess(ctx context.Context, root string, opts Options) ([]byte, error) {
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := renderStream(ctx, root, opts)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, deadlineError(ctx)
	}
}

func deadlineError(ctx context.Context) error {
	cause := ctx.Err()
	if errors.Is(cause, context.DeadlineExceeded) {
		if d, ok := ctx.Deadline(); ok {
			return fmt.Errorf("rendering: %w: the render did not finish by the deadline (%s); look for a template loop, or raise limits.totalTimeout",
				cause, d.UTC().Format(time.RFC3339))
		}
	}
	return fmt.Errorf("rendering: %w", cause)
}

// cappedBuffer is a bytes.Buffer that refuses to grow beyond max bytes.
type cappedBuffer struct {
	bytes.Buffer
	max      int64
	overflow bool
	onFull   func()
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if int64(b.Len())+int64(len(p)) > b.max {
		b.overflow = true
		if b.onFull != nil {
			b.onFull()
		}
		return 0, outputTooLarge(b.max)
	}
	return b.Buffer.Write(p)
}

func outputTooLarge(max int64) error {
	return fmt.Errorf("%w: more than %d bytes; render less (split the application) or raise limits.maxRenderedSize",
		errdef.ErrOutputTooLarge, max)
}

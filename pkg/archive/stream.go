package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
)

// capReader counts the bytes read through it, fails once they exceed max, and
// stops early when ctx is done.
type capReader struct {
	ctx  context.Context
	r    io.Reader
	n    int64
	max  int64
	what string
}

func (c *capReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	// Reading one byte past the cap is enough to know it was exceeded.
	if room := c.max - c.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, fmt.Errorf("%w: %s exceeds %d bytes", ErrLimitExceeded, c.what, c.max)
	}
	return n, err
}

var gzipMagic = []byte{0x1f, 0x8b}

// stream is the tar stream of an archive with both the compressed and the
// decompressed size capped.
type stream struct {
	compressed *capReader
	tar        *capReader
	gz         *gzip.Reader // nil for a plain tar
}

// openStream detects gzip by its magic bytes and caps both sides of it.
func openStream(ctx context.Context, src io.Reader, l Limits) (*stream, error) {
	s := &stream{compressed: &capReader{ctx: ctx, r: src, max: l.MaxCompressedSize, what: "archive"}}
	br := bufio.NewReader(s.compressed)
	magic, err := br.Peek(len(gzipMagic))
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading archive header: %w", wrapRead(err))
	}
	var tarStream io.Reader = br
	if bytes.Equal(magic, gzipMagic) {
		if s.gz, err = gzip.NewReader(br); err != nil {
			return nil, fmt.Errorf("opening gzip stream: %w", wrapRead(err))
		}
		tarStream = s.gz
	}
	s.tar = &capReader{ctx: ctx, r: tarStream, max: l.streamCap(), what: "decompressed archive"}
	return s, nil
}

// wrapRead marks a read error as an invalid archive unless it is a limit or a
// cancellation, which keep their own identity.
func wrapRead(err error) error {
	if isOwnError(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrInvalidArchive, err)
}

func isOwnError(err error) bool {
	for _, target := range []error{ErrLimitExceeded, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

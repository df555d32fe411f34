package archive

import (
	"context"
	"io"
)

// List reads the entries of a (gzip-compressed or plain) tar from src without
// writing anything, under the same limits and checks as Extract: an archive
// that List accepts is one that Extract accepts. Like Extract, it reads src to
// the end, so src should be a blob whose size and digest were checked.
func List(ctx context.Context, src io.Reader, opts ...ExtractOption) ([]Entry, error) {
	cfg, err := newExtractConfig(opts)
	if err != nil {
		return nil, err
	}
	s, err := newScanner(ctx, src, cfg.limits)
	if err != nil {
		return nil, err
	}
	var entries []Entry
	for {
		e, _, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if e.Type == TypeFile {
			if err := s.copyFile(io.Discard, e); err != nil {
				return nil, err
			}
		}
		entries = append(entries, e)
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	return entries, nil
}

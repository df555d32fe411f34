package archive

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
)

// scanner walks an untrusted archive and hands out only entries that passed
// every check; Extract and List differ only in what they do with them.
type scanner struct {
	ctx       context.Context
	limits    Limits
	stream    *stream
	tr        *tar.Reader
	tree      *tree
	entries   int
	extracted int64
	last      string
}

func newScanner(ctx context.Context, src io.Reader, l Limits) (*scanner, error) {
	st, err := openStream(ctx, src, l)
	if err != nil {
		return nil, err
	}
	return &scanner{ctx: ctx, limits: l, stream: st, tr: tar.NewReader(st.tar), tree: newTree()}, nil
}

// next returns the next accepted entry and the parent directories it implies,
// or io.EOF after the last one.
func (s *scanner) next() (Entry, []string, error) {
	for {
		hdr, err := s.tr.Next()
		if err == io.EOF {
			return Entry{}, nil, io.EOF
		}
		if err != nil {
			return Entry{}, nil, fmt.Errorf("reading entry after %q: %w", s.last, wrapRead(err))
		}
		if s.entries++; s.entries > s.limits.MaxEntries {
			return Entry{}, nil, fmt.Errorf("%w: more than %d entries", ErrLimitExceeded, s.limits.MaxEntries)
		}
		s.last = truncate(hdr.Name)
		e, err := s.entryOf(hdr)
		if err != nil {
			return Entry{}, nil, err
		}
		if e.Name == "" {
			continue
		}
		implied, err := s.tree.add(e)
		if err != nil {
			return Entry{}, nil, err
		}
		return e, implied, nil
	}
}

// entryOf validates one header. An entry with an empty name carries nothing
// to extract: the top "./" directory or a PAX global header.
func (s *scanner) entryOf(hdr *tar.Header) (Entry, error) {
	typ, err := entryType(hdr)
	if err != nil || typ == "" {
		return Entry{}, err
	}
	name, err := cleanName(hdr.Name, typ == TypeDir, s.limits)
	if err != nil || name == "" {
		return Entry{}, err
	}
	e := Entry{Name: name, Type: typ, Mode: normalMode(typ, fs.FileMode(hdr.Mode).Perm())}
	switch typ {
	case TypeFile:
		e.Size = hdr.Size
		err = s.checkSize(e)
	case TypeSymlink:
		e.Linkname = hdr.Linkname
		err = checkLinkTarget(name, hdr.Linkname, s.limits)
	}
	return e, err
}

// entryType maps a type flag to an entry type; "" means a header to skip.
func entryType(hdr *tar.Header) (string, error) {
	switch hdr.Typeflag {
	case tar.TypeReg:
		return TypeFile, nil
	case tar.TypeDir:
		return TypeDir, nil
	case tar.TypeSymlink:
		return TypeSymlink, nil
	case tar.TypeXGlobalHeader:
		return "", nil
	}
	return "", fmt.Errorf("%w: entry %q has type %s", ErrUnsupportedEntry, truncate(hdr.Name), typeName(hdr.Typeflag))
}

func typeName(flag byte) string {
	switch flag {
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	case tar.TypeGNUSparse:
		return "sparse file"
	}
	return fmt.Sprintf("%q", flag)
}

func (s *scanner) checkSize(e Entry) error {
	if e.Size < 0 {
		return fmt.Errorf("%w: file %q has a negative size", ErrInvalidArchive, e.Name)
	}
	if e.Size > s.limits.MaxFileSize {
		return fmt.Errorf("%w: file %q: size %d exceeds %d", ErrLimitExceeded, e.Name, e.Size, s.limits.MaxFileSize)
	}
	if e.Size > s.limits.MaxExtractedSize-s.extracted {
		return fmt.Errorf("%w: file %q: extracted size exceeds %d", ErrLimitExceeded, e.Name, s.limits.MaxExtractedSize)
	}
	return nil
}

// copyFile copies the content of the current file entry to w, counting what
// is actually copied, so a header whose size lies cannot pass the caps.
func (s *scanner) copyFile(w io.Writer, e Entry) error {
	n, err := io.Copy(w, io.LimitReader(s.tr, e.Size+1))
	s.extracted += n
	switch {
	case err != nil:
		return fmt.Errorf("reading file %q: %w", e.Name, wrapRead(err))
	case n != e.Size:
		return fmt.Errorf("%w: file %q: header says %d bytes, archive holds %d", ErrInvalidArchive, e.Name, e.Size, n)
	case s.extracted > s.limits.MaxExtractedSize:
		return fmt.Errorf("%w: file %q: extracted size exceeds %d", ErrLimitExceeded, e.Name, s.limits.MaxExtractedSize)
	}
	return nil
}

// finish checks what only the whole archive can tell: symlink chains, and
// for gzip the trailing checksum, which also catches a truncated stream.
func (s *scanner) finish() error {
	if s.stream.gz != nil {
		if _, err := io.Copy(io.Discard, s.stream.tar); err != nil {
			return fmt.Errorf("reading the end of the gzip stream: %w", wrapRead(err))
		}
	}
	return s.tree.checkLinks(s.ctx)
}

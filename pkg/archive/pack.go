package archive

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
)

// gzipLevel is fixed because the compressed bytes, and so the digest, depend
// on it.
const gzipLevel = gzip.DefaultCompression

// PackResult describes the archive Pack wrote.
type PackResult struct {
	// DiffID is the sha256 digest of the uncompressed tar, as listed in an
	// image config's rootfs.diff_ids.
	DiffID digest.Digest
	// Digest is the sha256 digest of the gzip bytes written to w.
	Digest digest.Digest
	// Size is the number of gzip bytes written to w.
	Size int64
	// Files lists the entries in archive order.
	Files []Entry
}

// Pack writes a reproducible gzip-compressed tar of the tree at root to w.
//
// The output depends only on the paths, contents, file types and execute bits
// of the tree (and on the Go version's compress/flate): entries are in lexical
// order of their full names, every directory has its own entry, uid and gid
// are 0 with empty user and group names, mtimes are fixed (see WithModTime),
// modes are 0755 for directories and 0644 or 0755 (any execute bit) for
// files, the tar format is PAX (plain USTAR headers where they suffice), and
// the gzip header has no name and no mtime at a fixed compression level.
//
// Symlinks are kept only if they are relative and resolve inside the tree;
// any other symlink, or a device, FIFO or socket, fails Pack with an error
// naming it. ".git" and the paths matched by the ignore file are left out. If
// root is a file, the archive holds that file under its base name.
func Pack(ctx context.Context, root string, w io.Writer, opts ...PackOption) (PackResult, error) {
	cfg, err := newPackConfig(opts)
	if err != nil {
		return PackResult{}, err
	}
	items, err := collect(ctx, root, cfg)
	if err != nil {
		return PackResult{}, err
	}
	src := &source{path: root}
	defer src.close()
	return writeArchive(ctx, src, items, w, cfg.modTime)
}

// hashWriter hashes and counts what it passes on.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

func writeArchive(ctx context.Context, src *source, items []packItem, w io.Writer, mtime time.Time) (PackResult, error) {
	compressed := &hashWriter{w: w, h: sha256.New()}
	gz, err := gzip.NewWriterLevel(compressed, gzipLevel)
	if err != nil {
		return PackResult{}, err
	}
	uncompressed := &hashWriter{w: gz, h: sha256.New()}
	tw := tar.NewWriter(uncompressed)
	files := make([]Entry, 0, len(items))
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return PackResult{}, err
		}
		if err := writeItem(tw, src, it, mtime); err != nil {
			return PackResult{}, fmt.Errorf("packing %s: %w", it.Name, err)
		}
		files = append(files, it.Entry)
	}
	if err := tw.Close(); err != nil {
		return PackResult{}, fmt.Errorf("closing tar stream: %w", err)
	}
	if err := gz.Close(); err != nil {
		return PackResult{}, fmt.Errorf("closing gzip stream: %w", err)
	}
	return PackResult{
		DiffID: digest.NewDigest(digest.SHA256, uncompressed.h),
		Digest: digest.NewDigest(digest.SHA256, compressed.h),
		Size:   compressed.n,
		Files:  files,
	}, nil
}

func writeItem(tw *tar.Writer, src *source, it packItem, mtime time.Time) error {
	if err := tw.WriteHeader(header(it.Entry, mtime)); err != nil {
		return err
	}
	if it.Type != TypeFile {
		return nil
	}
	return copyContent(tw, src, it)
}

// header sets every field explicitly: nothing of the machine or the file's
// metadata beyond the normalised entry may leak into the archive.
func header(e Entry, mtime time.Time) *tar.Header {
	h := &tar.Header{
		Name:    tarName(e),
		Mode:    int64(e.Mode),
		ModTime: mtime,
		Format:  tar.FormatPAX,
	}
	switch e.Type {
	case TypeDir:
		h.Typeflag = tar.TypeDir
	case TypeSymlink:
		h.Typeflag, h.Linkname = tar.TypeSymlink, e.Linkname
	default:
		h.Typeflag, h.Size = tar.TypeReg, e.Size
	}
	return h
}

// copyContent copies a file through os.Root, so a file swapped for a symlink
// during the walk cannot pull in content from outside the tree, and refuses a
// file whose size changed since the walk.
func copyContent(w io.Writer, src *source, it packItem) error {
	f, err := src.open(it.rel)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Size() != it.Size {
		return fmt.Errorf("file changed while packing")
	}
	_, err = io.CopyN(w, f, it.Size)
	return err
}

// source opens the files of the tree being packed, through one os.Root
// opened on first use.
type source struct {
	path string
	root *os.Root
}

func (s *source) open(rel string) (*os.File, error) {
	if rel == "." {
		return os.Open(s.path)
	}
	if s.root == nil {
		r, err := os.OpenRoot(s.path)
		if err != nil {
			return nil, err
		}
		s.root = r
	}
	return s.root.Open(filepath.FromSlash(rel))
}

func (s *source) close() {
	if s.root != nil {
		s.root.Close()
	}
}

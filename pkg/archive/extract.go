package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ExtractResult describes a successful extraction.
type ExtractResult struct {
	// Files lists the entries written, in archive order.
	Files []Entry
	// Size is the number of file content bytes written.
	Size int64
	// CompressedSize is the number of bytes read from the source.
	CompressedSize int64
}

// Extract extracts a (gzip-compressed or plain) tar from src into dst under
// limits (DefaultLimits unless WithLimits is given).
//
// src must be a blob whose size and digest the caller has already checked,
// typically a file the blob was downloaded to: never stream from a registry
// into Extract, because a rejected archive has then already been read from an
// untrusted peer, and the limits here are a second line of defence, not the
// integrity check.
//
// dst must not exist or must be an empty directory; its parent is created if
// needed. The archive is extracted into a fresh temporary directory next to
// dst (on the same filesystem) and renamed to dst only when every entry was
// accepted, so on any error nothing is left behind. An empty directory at dst
// is replaced, so dst gets mode 0755.
//
// Only regular files, directories and relative symlinks that stay inside the
// tree are accepted; see the package errors for what is refused. Modes are
// normalised (see Entry.Mode), ownership and mtimes are not restored.
func Extract(ctx context.Context, src io.Reader, dst string, opts ...ExtractOption) (ExtractResult, error) {
	cfg, err := newExtractConfig(opts)
	if err != nil {
		return ExtractResult{}, err
	}
	dst, err = checkDestination(dst)
	if err != nil {
		return ExtractResult{}, err
	}
	tmp, err := makeStaging(dst)
	if err != nil {
		return ExtractResult{}, err
	}
	res, err := extractInto(ctx, src, tmp, cfg.limits)
	if err == nil {
		err = moveIntoPlace(tmp, dst)
	}
	if err != nil {
		if rmErr := os.RemoveAll(tmp); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("removing partial output %s: %w", tmp, rmErr))
		}
		return ExtractResult{}, err
	}
	return res, nil
}

// checkDestination returns dst as an absolute path if it is free to use.
func checkDestination(dst string) (string, error) {
	abs, err := filepath.Abs(dst)
	if err != nil {
		return "", fmt.Errorf("resolving destination %q: %w", dst, err)
	}
	if filepath.Dir(abs) == abs {
		return "", fmt.Errorf("%w: %s", ErrDestinationExists, abs)
	}
	fi, err := os.Lstat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return abs, nil
	}
	if err != nil {
		return "", fmt.Errorf("checking destination: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: %s", ErrDestinationExists, abs)
	}
	empty, err := isEmptyDir(abs)
	if err != nil {
		return "", fmt.Errorf("checking destination: %w", err)
	}
	if !empty {
		return "", fmt.Errorf("%w: %s", ErrDestinationExists, abs)
	}
	return abs, nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if err == io.EOF {
		return true, nil
	}
	return false, err
}

// makeStaging creates the temporary directory beside dst, so that the final
// rename stays on one filesystem.
func makeStaging(dst string) (string, error) {
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, dirMode); err != nil {
		return "", fmt.Errorf("creating parent of destination: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dst)+".extract-*")
	if err != nil {
		return "", fmt.Errorf("creating staging directory: %w", err)
	}
	return tmp, nil
}

func moveIntoPlace(tmp, dst string) error {
	if err := os.Chmod(tmp, dirMode); err != nil {
		return fmt.Errorf("setting mode of %s: %w", tmp, err)
	}
	// os.Rename refuses to replace a directory, even an empty one; rmdir
	// fails unless dst is still empty, which keeps the check and the act one.
	if err := removeEmptyDir(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s: %w", ErrDestinationExists, dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s: %w", ErrDestinationExists, dst, err)
		}
		return fmt.Errorf("moving extracted tree to %s: %w", dst, err)
	}
	return nil
}

func extractInto(ctx context.Context, src io.Reader, dir string, l Limits) (ExtractResult, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return ExtractResult{}, fmt.Errorf("opening staging directory: %w", err)
	}
	defer root.Close()
	s, err := newScanner(ctx, src, l)
	if err != nil {
		return ExtractResult{}, err
	}
	var files []Entry
	for {
		e, implied, err := s.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return ExtractResult{}, err
		}
		if err := writeEntry(root, s, e, implied); err != nil {
			return ExtractResult{}, err
		}
		files = append(files, e)
	}
	if err := s.finish(); err != nil {
		return ExtractResult{}, err
	}
	return ExtractResult{Files: files, Size: s.extracted, CompressedSize: s.stream.compressed.n}, nil
}

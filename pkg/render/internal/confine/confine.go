// Package confine keeps rendering inside the tree it was given: lexical checks for paths and
// references, and symlink resolution so that a link cannot lead out of the tree.
package confine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// Within reports ErrOutsideRoot unless path equals root or lies below it, compared lexically.
func Within(root, path string) error {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s: %w %s", path, errdef.ErrOutsideRoot, root)
	}
	return nil
}

// Join joins the slash-separated relative path rel to root and checks, lexically and after
// resolving symlinks, that the result stays inside root. A missing target gives ErrNotFound.
func Join(root, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s: %w %s (absolute path)", rel, errdef.ErrOutsideRoot, root)
	}
	path := filepath.Join(root, filepath.FromSlash(rel))
	if err := Within(root, path); err != nil {
		return "", err
	}
	if err := resolvesWithin(root, path); err != nil {
		return "", err
	}
	return path, nil
}

// resolvesWithin checks that path, with every symlink resolved, still lies inside root.
func resolvesWithin(root, path string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", root, err)
	}
	realPath, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", path, errdef.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("resolving %s: %w", path, err)
	}
	if Within(realRoot, realPath) != nil {
		return fmt.Errorf("%s resolves to %s: %w %s", path, realPath, errdef.ErrOutsideRoot, root)
	}
	return nil
}

// CheckTree walks dir and refuses any symlink whose target lies outside root or does not exist.
func CheckTree(root, dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walking %s: %w", path, err)
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		return resolvesWithin(root, path)
	})
}

// IsSymlinkedDir reports whether path is a symlink to a directory; walkers skip those so that a
// link cannot make them loop.
func IsSymlinkedDir(path string, d fs.DirEntry) bool {
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

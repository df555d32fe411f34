package kustomize

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitless-dev/gitless/pkg/render/internal/confine"
)

// copyTree copies the files below root into an in-memory file system rooted at "/". Symlinks
// must resolve inside root; symlinked directories are not copied, .git is skipped.
func copyTree(ctx context.Context, root string) (filesys.FileSystem, error) {
	if err := confine.CheckTree(root, root); err != nil {
		return nil, err
	}
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walking %s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return copyEntry(mem, root, path, d)
	})
	if err != nil {
		return nil, fmt.Errorf("copying %s: %w", root, err)
	}
	return mem, nil
}

func copyEntry(mem filesys.FileSystem, root, path string, d fs.DirEntry) error {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return err
	}
	target := filepath.Join(filesys.Separator, rel)
	switch {
	case d.IsDir() && d.Name() == ".git":
		return filepath.SkipDir
	case d.IsDir():
		return mem.MkdirAll(target)
	case confine.IsSymlinkedDir(path, d):
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return mem.WriteFile(target, data)
}

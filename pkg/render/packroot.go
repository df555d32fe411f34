package render

import (
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitless-dev/gitless/pkg/render/internal/confine"
	"github.com/gitless-dev/gitless/pkg/render/kustomize"
)

// PackRoot computes what `publish` must pack for the tree at path. For a Kustomize overlay whose
// bases, components, patches, resources or generator files lie outside path (e.g. ../../base),
// root is the smallest enclosing directory holding every local reference (followed recursively
// through referenced kustomizations) and renderPath is path relative to it, slash-separated.
// boundary is the enclosing git checkout or --root: a reference leaving it is an error
// (errdef.ErrOutsideRoot) naming the reference, and so is a remote one (errdef.ErrRemoteReference).
// For plain and Helm trees root is path and renderPath is ".".
func PackRoot(path, boundary string) (root, renderPath string, err error) {
	if path, err = realAbs(path); err != nil {
		return "", "", err
	}
	if boundary, err = realAbs(boundary); err != nil {
		return "", "", err
	}
	if err := confine.Within(boundary, path); err != nil {
		return "", "", fmt.Errorf("computing pack root: %w", err)
	}
	if !hasKustomization(path) {
		return path, ".", nil
	}
	tree, err := kustomize.References(filesys.MakeFsOnDisk(), boundary, path)
	if err != nil {
		return "", "", fmt.Errorf("computing pack root of %s: %w", path, err)
	}
	root = path
	for _, ref := range tree.Paths {
		if root, err = enclose(root, ref, boundary); err != nil {
			return "", "", fmt.Errorf("computing pack root of %s: %w", path, err)
		}
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return "", "", err
	}
	return root, filepath.ToSlash(rel), nil
}

// enclose returns the smallest directory holding both dir and ref (a directory, or a file whose
// directory counts), after checking that ref, symlinks resolved, stays inside boundary.
func enclose(dir, ref, boundary string) (string, error) {
	real, err := filepath.EvalSymlinks(ref)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", ref, err)
	}
	if err := confine.Within(boundary, real); err != nil {
		return "", err
	}
	if !isDir(real) {
		real = filepath.Dir(real)
	}
	for confine.Within(dir, real) != nil {
		dir = filepath.Dir(dir)
	}
	return dir, nil
}

func realAbs(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	return real, nil
}

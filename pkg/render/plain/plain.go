// Package plain renders a directory of Kubernetes manifests: every *.yaml, *.yml and *.json file
// below it, in lexical order of their slash-separated paths.
package plain

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitless-dev/gitless/pkg/render/internal/confine"
	"github.com/gitless-dev/gitless/pkg/render/internal/manifest"
)

// Objects renders the manifests below dir. root bounds symlinks: a link that leaves root is an
// error. Hidden files and directories (".git", ".github", ...) are skipped, symlinked directories
// are not followed.
func Objects(ctx context.Context, root, dir string) ([]*unstructured.Unstructured, error) {
	if err := confine.CheckTree(root, dir); err != nil {
		return nil, err
	}
	files, err := manifestFiles(dir)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		decoded, err := decodeFile(filepath.Join(dir, filepath.FromSlash(rel)), rel)
		if err != nil {
			return nil, err
		}
		objs = append(objs, decoded...)
	}
	return objs, nil
}

// manifestFiles lists the manifest files below dir as slash paths relative to dir, sorted.
func manifestFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walking %s: %w", path, err)
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || confine.IsSymlinkedDir(path, d) || !IsManifest(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(files)
	return files, err
}

// IsManifest reports whether a file name has a manifest extension (.yaml, .yml, .json).
func IsManifest(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func decodeFile(path, rel string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", rel, err)
	}
	defer f.Close()
	return manifest.Decode(f, rel)
}

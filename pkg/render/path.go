package render

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitless-dev/gitless/pkg/render/internal/confine"
	"github.com/gitless-dev/gitless/pkg/render/kustomize"
	"github.com/gitless-dev/gitless/pkg/render/plain"
)

const chartFile = "Chart.yaml"

// renderDir resolves the render path inside root, stepping into a lone chart directory.
func renderDir(root, path string) (string, error) {
	dir := filepath.Join(root, filepath.FromSlash(path))
	if filepath.IsAbs(path) {
		return "", fmt.Errorf("resolving render path %s: must be relative to the root", path)
	}
	if err := confine.Within(root, dir); err != nil {
		return "", fmt.Errorf("resolving render path: %w", err)
	}
	if chart, ok := loneChart(dir); ok {
		return chart, nil
	}
	return dir, nil
}

// loneChart returns the only entry of dir when dir is a Helm chart archive's extraction: no
// kustomization, Chart.yaml or manifests of its own, and one subdirectory holding a Chart.yaml.
func loneChart(dir string) (string, bool) {
	if hasKustomization(dir) || isFile(filepath.Join(dir, chartFile)) {
		return "", false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	var subdirs []string
	for _, e := range entries {
		switch {
		case e.IsDir():
			subdirs = append(subdirs, filepath.Join(dir, e.Name()))
		case plain.IsManifest(e.Name()):
			return "", false
		}
	}
	if len(subdirs) != 1 || !isFile(filepath.Join(subdirs[0], chartFile)) {
		return "", false
	}
	return subdirs[0], true
}

func hasKustomization(dir string) bool {
	return kustomize.KustomizationFile(filesys.MakeFsOnDisk(), dir) != ""
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

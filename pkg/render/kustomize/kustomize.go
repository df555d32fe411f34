// Package kustomize renders a kustomization in-process with krusty, confined to an in-memory copy
// of the artifact: no plugins, no helm binary, no remote bases, no host files.
package kustomize

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
	"github.com/gitless-dev/gitless/pkg/render/internal/confine"
	"github.com/gitless-dev/gitless/pkg/render/internal/manifest"
)

// Options are the transforms applied on top of the kustomization, as Argo CD's kustomize source
// options do with `kustomize edit`.
type Options struct {
	// Namespace sets the namespace of every namespaced object.
	Namespace string
	// NamePrefix and NameSuffix are added to every object's name.
	NamePrefix, NameSuffix string
	// Images are overrides in `kustomize edit set image` syntax, e.g. "nginx=registry/nginx:1.2".
	Images []string
}

func (o Options) empty() bool {
	return o.Namespace == "" && o.NamePrefix == "" && o.NameSuffix == "" && len(o.Images) == 0
}

// Objects builds the kustomization in dir. Only files below root are visible to the build: root
// is copied into an in-memory file system, where "/" stands for root, so "../base" works as long
// as it stays inside root, while absolute host paths and anything beyond root do not exist.
func Objects(ctx context.Context, root, dir string, opts Options) ([]*unstructured.Unstructured, error) {
	if err := confine.Within(root, dir); err != nil {
		return nil, err
	}
	fsys, err := copyTree(ctx, root)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return nil, err
	}
	target := filepath.Join(filesys.Separator, rel)
	if err := checkReferences(fsys, target); err != nil {
		return nil, err
	}
	if err := scanTree(ctx, fsys); err != nil {
		return nil, err
	}
	if !opts.empty() {
		if target, err = writeWrapper(fsys, target, opts); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return build(fsys, target)
}

// checkReferences refuses what krusty would fetch or execute, before it gets the chance.
func checkReferences(fsys filesys.FileSystem, target string) error {
	if KustomizationFile(fsys, target) == "" {
		return fmt.Errorf("building %s: %w: no kustomization file", target, errdef.ErrNotFound)
	}
	tree, err := References(fsys, filesys.Separator, target)
	if err != nil {
		return err
	}
	if len(tree.HelmCharts) > 0 {
		return fmt.Errorf("%s: %w", strings.Join(tree.HelmCharts, ", "), errdef.ErrHelmChartsInKustomize)
	}
	return nil
}

func build(fsys filesys.FileSystem, target string) ([]*unstructured.Unstructured, error) {
	opts := krusty.MakeDefaultOptions()
	// Unspecified is what `kustomize build` passes without --reorder: legacy order unless the
	// kustomization sets sortOptions.
	opts.Reorder = krusty.ReorderOptionUnspecified
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	resources, err := krusty.MakeKustomizer(opts).Run(fsys, target)
	if types.IsErrOnlyBuiltinPluginsAllowed(err) {
		return nil, fmt.Errorf("building %s: %w: %v", target, errdef.ErrPluginsDisabled, err)
	}
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", target, err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("serialising %s: %w", target, err)
	}
	return manifest.Decode(bytes.NewReader(out), "kustomize build "+target)
}

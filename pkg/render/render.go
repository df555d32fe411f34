// Package render turns a configuration tree (plain manifests, a kustomization or a Helm chart)
// into Kubernetes objects, offline and deterministically. The same code serves
// `kubectl gitless render` and `argocd-cmp generate`.
//
// Render is the bounded entry point (time, memory, output size; see Init for the renderer child
// process), and the one both binaries use. Objects renders in the calling process without those
// bounds, for tests and tools that want the objects themselves.
//
// Refusals are reported with the sentinel errors of package errdef.
package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
	"github.com/gitless-dev/gitless/pkg/render/kustomize"
	"github.com/gitless-dev/gitless/pkg/render/plain"
)

// Kind is the kind of a configuration tree.
type Kind string

// The kinds of tree Render understands.
const (
	// KindPlain is a directory of YAML/JSON manifests.
	KindPlain Kind = "plain"
	// KindKustomize is a directory holding a kustomization file.
	KindKustomize Kind = "kustomize"
	// KindHelm is a Helm chart directory.
	KindHelm Kind = "helm"
)

// Options control Render and Objects. The zero value renders the root with the detected kind.
type Options struct {
	// Kind of the tree at Path; empty means Detect.
	Kind Kind
	// Path is the render path relative to the root ("" or "." is the root). When it holds no
	// kustomization or Chart.yaml, no manifests and exactly one subdirectory, which has a
	// Chart.yaml (the "<name>/Chart.yaml" layout of a Helm chart archive), that subdirectory is
	// rendered.
	Path string

	// ReleaseName and Namespace are the Helm release's name and namespace.
	ReleaseName, Namespace string
	// KubeVersion ("v1.31.0", "1.31", "1.31+") and APIVersions (entries may be comma-separated
	// lists, as in Argo CD's KUBE_API_VERSIONS) are the Helm capabilities. An empty KubeVersion
	// means the Kubernetes minor of the client libraries compiled in.
	KubeVersion string
	APIVersions []string
	// ValueFiles are Helm values files inside the root, relative to the chart directory.
	ValueFiles []string
	// Values are --set style "key=value" Helm values, applied last.
	Values []string
	// ValuesYAML is inline Helm values YAML, applied after ValueFiles and before Values.
	ValuesYAML string
	// SkipCRDs leaves out a chart's crds/ directories.
	SkipCRDs bool

	// KustomizeNamespace, NamePrefix and NameSuffix are applied on top of a kustomization.
	KustomizeNamespace, NamePrefix, NameSuffix string
	// Images are kustomize image overrides in `kustomize edit set image` syntax,
	// e.g. "nginx=registry/nginx:1.2".
	Images []string

	// SubchartLimits bound the charts/*.tgz archives of a Helm chart, together (zero fields take
	// archive.DefaultLimits); pass the limits the artifact was extracted under.
	SubchartLimits archive.Limits

	// MaxOutputSize caps the bytes Render writes (DefaultMaxOutputSize when zero).
	MaxOutputSize int64
	// MaxMemory caps the memory of the renderer child process (DefaultMaxMemory when zero).
	MaxMemory int64
}

// Objects renders the tree at root and returns the objects in render order: plain in lexical
// file order, kustomize in `kustomize build` order, Helm in `helm template` order.
func Objects(ctx context.Context, root string, opts Options) ([]*unstructured.Unstructured, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolving root %s: %w", root, err)
	}
	dir, err := renderDir(root, opts.Path)
	if err != nil {
		return nil, err
	}
	kind := opts.Kind
	if kind == "" {
		if kind, err = Detect(dir); err != nil {
			return nil, err
		}
	}
	return renderKind(ctx, kind, root, dir, opts)
}

func renderKind(ctx context.Context, kind Kind, root, dir string, opts Options) ([]*unstructured.Unstructured, error) {
	switch kind {
	case KindPlain:
		return plain.Objects(ctx, root, dir)
	case KindKustomize:
		return kustomize.Objects(ctx, root, dir, kustomize.Options{
			Namespace: opts.KustomizeNamespace, NamePrefix: opts.NamePrefix,
			NameSuffix: opts.NameSuffix, Images: opts.Images,
		})
	case KindHelm:
		if f := helmRenderer.Load(); f != nil {
			return (*f)(ctx, root, dir, opts)
		}
		return nil, fmt.Errorf("rendering %s: %w: Helm rendering is not built into this binary (import package render/helm; "+
			"argocd-cmp renders charts through gitless-render-helm, which has it)", dir, errdef.ErrUnknownKind)
	}
	return nil, fmt.Errorf("rendering %s: %w %q", dir, errdef.ErrUnknownKind, kind)
}

// HelmFunc renders the Helm chart in dir; root bounds what it may read.
type HelmFunc func(ctx context.Context, root, dir string, opts Options) ([]*unstructured.Unstructured, error)

// helmRenderer is set by package helm when a binary imports it. The Helm SDK brings the Kubernetes
// client libraries and their package initialisation (every API group's scheme), so binaries that
// do not render themselves (argocd-cmp, which starts gitless-render) leave it out.
var helmRenderer atomic.Pointer[HelmFunc]

// RegisterHelm makes Objects and Render render KindHelm with f. Package helm calls it from its
// init; a binary that renders Helm charts imports that package.
func RegisterHelm(f HelmFunc) { helmRenderer.Store(&f) }

// Detect returns the kind of the tree at dir: a kustomization file (kustomization.yaml,
// kustomization.yml or Kustomization) means kustomize, a Chart.yaml means helm, anything else
// plain.
func Detect(dir string) (Kind, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("detecting kind of %s: %w", dir, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("detecting kind of %s: not a directory", dir)
	}
	if hasKustomization(dir) {
		return KindKustomize, nil
	}
	if isFile(filepath.Join(dir, chartFile)) {
		return KindHelm, nil
	}
	return KindPlain, nil
}

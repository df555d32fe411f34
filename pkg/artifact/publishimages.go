package artifact

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/render"
)

// ImagesOptions control the images lock publish records (see package images).
type ImagesOptions struct {
	// Mode is images.ModeResolve, ModeRecord or ModeOff; empty writes no lock, so that a library
	// caller opts in (the CLI's default is resolve).
	Mode images.Mode
	// Extra are references to lock that no rendered object names (`publish --image`).
	Extra []string
	// ValuesFiles are Helm values files outside the chart (`publish --values`): the chart is
	// rendered once with each, besides its defaults and each values*.yaml it ships.
	ValuesFiles []string
	// Resolver reaches the images' registries; nil uses registry.DefaultOptions.
	Resolver *images.Resolver
}

// ErrImagesValues is returned for --values given for content that is not a Helm chart.
var ErrImagesValues = errors.New("--values applies to Helm charts only")

// lockImages renders the packed layer as the sidecar will (a chart once per values set), finds every
// image its objects name, resolves them and records the lock as a manifest annotation, which every
// signature of the artifact covers.
func lockImages(ctx context.Context, p *publishPlan, layerPath string, opts PublishOptions) error {
	imo := opts.Images
	if imo.Mode == "" || imo.Mode == images.ModeOff {
		return nil
	}
	if len(imo.ValuesFiles) > 0 && p.chart == nil {
		return fmt.Errorf("%w: %s is %s content", ErrImagesValues, p.path, p.kind)
	}
	found, err := findPackedImages(ctx, p, layerPath, opts)
	if err != nil {
		return err
	}
	if p.chart != nil {
		fromChart, err := images.FromChartAnnotations(p.chart.Name, p.chart.Annotations)
		if err != nil {
			return err
		}
		found = append(found, fromChart...)
	}
	found = append(found, images.FromFlags(imo.Extra)...)
	imgs, err := images.Collect(found)
	if err != nil {
		return err
	}
	r := imo.Resolver
	if r == nil {
		r = &images.Resolver{Options: registry.DefaultOptions()}
	}
	lock, err := r.Lock(ctx, imgs, imo.Mode)
	if err != nil {
		return err
	}
	enc, err := lock.Encode()
	if err != nil {
		return err
	}
	p.annotations[images.AnnotationLock] = enc
	return nil
}

// findPackedImages extracts the layer once and renders it with each values set.
func findPackedImages(ctx context.Context, p *publishPlan, layerPath string, opts PublishOptions) ([]images.Found, error) {
	tree, cleanup, err := extractPacked(ctx, layerPath, opts.TempDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	sets, err := valueSets(p, tree, opts.Images.ValuesFiles)
	if err != nil {
		return nil, err
	}
	var found []images.Found
	for _, v := range sets {
		ro := render.Options{Kind: render.Kind(p.kind), Path: p.renderPath}
		if p.chart != nil {
			ro.ReleaseName, ro.Namespace = p.chart.Name, "default"
			ro.ValueFiles, ro.ValuesYAML = v.files, v.inline
		}
		objs, err := render.Objects(ctx, tree, ro)
		if err != nil {
			return nil, fmt.Errorf("%w: %s%s: %w (to find its images; --images=off publishes without an images lock)", ErrDoesNotRender, p.path, v.label, err)
		}
		f, err := imagesOf(objs)
		if err != nil {
			return nil, err
		}
		found = append(found, f...)
	}
	return found, nil
}

type valueSet struct {
	label  string
	files  []string
	inline string
}

// valueSets are the chart's defaults, each values*.yaml it ships (beside Chart.yaml) and each
// --values file; other content renders once.
func valueSets(p *publishPlan, tree string, local []string) ([]valueSet, error) {
	sets := []valueSet{{}}
	if p.chart == nil {
		return sets, nil
	}
	shipped, _ := filepath.Glob(filepath.Join(tree, p.renderPath, "values*.yaml"))
	slices.Sort(shipped)
	for _, f := range shipped {
		if name := filepath.Base(f); name != "values.yaml" {
			sets = append(sets, valueSet{label: " with " + name, files: []string{name}})
		}
	}
	for _, f := range local {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading --values: %w", err)
		}
		sets = append(sets, valueSet{label: " with --values " + f, inline: string(b)})
	}
	return sets, nil
}

func imagesOf(objs []*unstructured.Unstructured) ([]images.Found, error) {
	var found []images.Found
	for _, o := range objs {
		var n yaml.Node
		if err := n.Encode(o.Object); err != nil {
			return nil, fmt.Errorf("reading %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		found = append(found, images.FindInObject(&n)...)
	}
	return found, nil
}

// extractPacked extracts layerPath, exactly the bytes the sidecar will fetch, into a temporary tree.
func extractPacked(ctx context.Context, layerPath, tempDir string) (string, func(), error) {
	dir, err := os.MkdirTemp(tempDir, "gitless-publish-images-*")
	if err != nil {
		return "", nil, fmt.Errorf("creating temporary directory: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	f, err := os.Open(layerPath)
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("opening packed layer: %w", err)
	}
	defer f.Close()
	tree := filepath.Join(dir, "tree")
	if _, err := archive.Extract(ctx, f, tree); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("extracting packed layer: %w", err)
	}
	return tree, cleanup, nil
}

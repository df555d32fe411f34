package artifact

import (
	"context"
	"fmt"
	"os"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/render"
)

// AnnotationAllowEmpty records that the publisher meant the artifact to render no objects
// (`publish --allow-empty`). It is information for people and `inspect`: the sidecar decides from its
// policy's allowEmpty alone, since what Argo CD may prune in a zone is the zone's decision.
const AnnotationAllowEmpty = "dev.gitless.allow-empty"

// checkRenders extracts the packed layer, exactly the bytes the sidecar will fetch, and renders it
// with the sidecar's renderer and default options, so that content which cannot render (a chart
// dependency missing from charts/, a kustomization that does not build) or renders nothing is
// refused at publish instead of at sync.
func checkRenders(ctx context.Context, p *publishPlan, layerPath string, opts PublishOptions) error {
	if opts.SkipRenderCheck {
		return nil
	}
	n, err := renderPacked(ctx, p, layerPath, opts.TempDir)
	if err != nil {
		return fmt.Errorf("%w: %s: %w (fix it and publish again; content that renders only with values given at deploy time: --skip-render-check)", ErrDoesNotRender, p.path, err)
	}
	if n == 0 && !opts.AllowEmpty {
		return fmt.Errorf("%w: %s: an Application deploying it would prune every live object; publish the "+
			"directory that holds the manifests, or pass --allow-empty if empty is intended", ErrEmptyArtifact, p.path)
	}
	return nil
}

// renderPacked extracts layerPath into a temporary directory and counts the objects it renders.
func renderPacked(ctx context.Context, p *publishPlan, layerPath, tempDir string) (int, error) {
	dir, err := os.MkdirTemp(tempDir, "gitless-publish-check-*")
	if err != nil {
		return 0, fmt.Errorf("creating temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	f, err := os.Open(layerPath)
	if err != nil {
		return 0, fmt.Errorf("opening packed layer: %w", err)
	}
	defer f.Close()
	tree := dir + string(os.PathSeparator) + "tree"
	if _, err := archive.Extract(ctx, f, tree); err != nil {
		return 0, fmt.Errorf("extracting packed layer: %w", err)
	}
	opts := render.Options{Kind: render.Kind(p.kind), Path: p.renderPath}
	if p.chart != nil {
		opts.ReleaseName, opts.Namespace = p.chart.Name, "default"
	}
	objs, err := render.Objects(ctx, tree, opts)
	return len(objs), err
}

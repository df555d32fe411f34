package helm

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitless-dev/gitless/pkg/render"
)

// Importing this package is what makes render.Objects and render.Render render Helm charts: the
// Helm SDK is linked only into the binaries that render (gitless-render, kubectl-gitless), not into
// argocd-cmp, whose start-up it would otherwise slow on every call.
func init() { render.RegisterHelm(renderObjects) }

func renderObjects(ctx context.Context, root, dir string, o render.Options) ([]*unstructured.Unstructured, error) {
	return Objects(ctx, root, dir, Options{
		ReleaseName: o.ReleaseName, Namespace: o.Namespace,
		KubeVersion: o.KubeVersion, APIVersions: o.APIVersions,
		ValueFiles: o.ValueFiles, ValuesYAML: o.ValuesYAML, Values: o.Values,
		SkipCRDs: o.SkipCRDs, SubchartLimits: o.SubchartLimits,
	})
}

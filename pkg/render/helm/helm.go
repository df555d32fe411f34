// Package helm renders a Helm chart in-process with the Helm v3 SDK, like `helm template`:
// client-only (no cluster, `lookup` returns nothing), no DNS, no registry or repository access;
// dependencies must be vendored in charts/.
package helm

import (
	"context"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
	"github.com/gitless-dev/gitless/pkg/render/internal/confine"
	"github.com/gitless-dev/gitless/pkg/render/internal/manifest"
)

// DefaultReleaseName and DefaultNamespace are what `helm template` uses when none is given.
const (
	DefaultReleaseName = "release-name"
	DefaultNamespace   = "default"
)

// Options control a Helm render.
type Options struct {
	// ReleaseName and Namespace are .Release.Name and .Release.Namespace.
	ReleaseName, Namespace string
	// KubeVersion and APIVersions become .Capabilities; KubeVersion accepts "v1.31.0", "1.31",
	// "1.31+" and the like.
	KubeVersion string
	APIVersions []string
	// ValueFiles are merged in order after the chart's values.yaml; relative paths are relative to
	// the chart directory, absolute ones to root, and each must lie inside root.
	ValueFiles []string
	// ValuesYAML is merged after ValueFiles, Values (--set syntax) last.
	ValuesYAML string
	Values     []string
	// SkipCRDs leaves out the chart's crds/ directories.
	SkipCRDs bool
	// SubchartLimits bound the charts/*.tgz archives Helm unpacks, together; zero fields take
	// archive.DefaultLimits.
	SubchartLimits archive.Limits
}

// Objects renders the chart in dir; root bounds value files and symlinks.
func Objects(ctx context.Context, root, dir string, opts Options) ([]*unstructured.Unstructured, error) {
	stream, err := manifests(ctx, root, dir, opts)
	if err != nil {
		return nil, err
	}
	return manifest.Decode(strings.NewReader(stream), "helm chart "+dir)
}

// manifests renders the chart in dir to the stream `helm template` prints: CRDs (unless
// SkipCRDs), the manifests in Helm's install order, then the hooks (test hooks included, as
// `helm template` does without --skip-tests). NOTES.txt is left out.
func manifests(ctx context.Context, root, dir string, opts Options) (string, error) {
	ch, err := loadChart(ctx, root, dir, opts.SubchartLimits)
	if err != nil {
		return "", err
	}
	vals, err := mergeValues(root, dir, opts)
	if err != nil {
		return "", err
	}
	install, err := newInstall(opts)
	if err != nil {
		return "", err
	}
	rel, err := install.RunWithContext(ctx, ch, vals)
	if err != nil {
		return "", fmt.Errorf("rendering chart %s: %w", ch.Name(), err)
	}
	return stream(rel), nil
}

func loadChart(ctx context.Context, root, dir string, limits archive.Limits) (*chart.Chart, error) {
	if err := confine.Within(root, dir); err != nil {
		return nil, err
	}
	if err := confine.CheckTree(root, dir); err != nil {
		return nil, err
	}
	if err := checkSubcharts(ctx, root, limits); err != nil {
		return nil, err
	}
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", dir, err)
	}
	if err := checkDependencies(ch); err != nil {
		return nil, err
	}
	if err := checkSchemas(ch); err != nil {
		return nil, err
	}
	return ch, nil
}

// checkDependencies requires every dependency of ch and of its subcharts to be vendored.
func checkDependencies(ch *chart.Chart) error {
	if reqs := ch.Metadata.Dependencies; reqs != nil {
		if err := action.CheckDependencies(ch, reqs); err != nil {
			return fmt.Errorf("checking dependencies of chart %s: %w: %v", ch.Name(), errdef.ErrMissingDependency, err)
		}
	}
	for _, sub := range ch.Dependencies() {
		if err := checkDependencies(sub); err != nil {
			return err
		}
	}
	return nil
}

func newInstall(opts Options) (*action.Install, error) {
	install := action.NewInstall(&action.Configuration{Log: func(string, ...interface{}) {}})
	install.DryRun = true
	install.DryRunOption = "client"
	install.ClientOnly = true
	install.Replace = true
	install.EnableDNS = false
	install.IncludeCRDs = !opts.SkipCRDs
	install.ReleaseName = orDefault(opts.ReleaseName, DefaultReleaseName)
	install.Namespace = orDefault(opts.Namespace, DefaultNamespace)
	install.APIVersions = chartutil.VersionSet(SplitAPIVersions(opts.APIVersions))
	kube, err := ParseKubeVersion(orDefault(opts.KubeVersion, DefaultKubeVersion))
	if err != nil {
		return nil, err
	}
	install.KubeVersion = kube
	return install, nil
}

// stream prints rel the way `helm template` does.
func stream(rel *release.Release) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(rel.Manifest))
	b.WriteString("\n")
	for _, hook := range rel.Hooks {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", hook.Path, hook.Manifest)
	}
	return b.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

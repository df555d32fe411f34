package artifact

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/ignore"
	"sigs.k8s.io/yaml"
)

// chartInfo is a Helm chart directory about to be published in Helm's own OCI form.
type chartInfo struct {
	*chart.Metadata
	dir    string
	ignore *ignore.Rules
}

func readChart(dir string) (*chartInfo, error) {
	// what chartutil.LoadChartfile does; chartutil itself would link the Kubernetes API scheme
	// (all groups) into argocd-cmp, which only reads artifacts
	meta := new(chart.Metadata)
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err == nil {
		err = yaml.Unmarshal(b, meta)
	}
	if err != nil {
		return nil, fmt.Errorf("reading Chart.yaml: %w", err)
	}
	if err := meta.Validate(); err != nil {
		return nil, fmt.Errorf("validating Chart.yaml: %w (fix Chart.yaml; `helm lint` shows details)", err)
	}
	rules := ignore.Empty()
	if f, err := os.Open(filepath.Join(dir, ignore.HelmIgnore)); err == nil {
		rules, err = ignore.Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading .helmignore: %w", err)
		}
	}
	rules.AddDefaults()
	return &chartInfo{Metadata: meta, dir: dir, ignore: rules}, nil
}

// filter keeps what `helm package` would keep: everything but .helmignore'd paths.
func (c *chartInfo) filter(rel string, d fs.DirEntry) bool {
	if rel == "." || rel == "" {
		return true
	}
	fi, err := d.Info()
	if err != nil {
		return false
	}
	return !c.ignore.Ignore(filepath.ToSlash(rel), fi)
}

// annotations are the ones `helm push` writes, so registries and tools show the same fields.
func (c *chartInfo) annotations() map[string]string {
	a := map[string]string{}
	for k, v := range c.Metadata.Annotations {
		a[k] = v
	}
	setIf(a, ocispec.AnnotationTitle, c.Name)
	setIf(a, ocispec.AnnotationVersion, c.Version)
	setIf(a, ocispec.AnnotationDescription, c.Description)
	setIf(a, ocispec.AnnotationURL, c.Home)
	if len(c.Sources) > 0 {
		setIf(a, ocispec.AnnotationSource, c.Sources[0])
	}
	return a
}

// HelmTag is the tag Helm gives a chart version: '+' is not allowed in tags, Helm writes '_'.
func HelmTag(version string) string { return strings.ReplaceAll(version, "+", "_") }

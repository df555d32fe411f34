package helm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
	"github.com/gitless-dev/gitless/pkg/render/internal/confine"
)

// mergeValues merges the user-supplied values in Helm's order: value files, then the inline
// YAML, then --set values. The chart's own values.yaml is applied beneath them by Helm.
func mergeValues(root, dir string, opts Options) (map[string]interface{}, error) {
	vals := map[string]interface{}{}
	for _, file := range opts.ValueFiles {
		data, err := readValueFile(root, dir, file)
		if err != nil {
			return nil, err
		}
		if vals, err = mergeYAML(vals, data, file); err != nil {
			return nil, err
		}
	}
	vals, err := mergeYAML(vals, []byte(opts.ValuesYAML), "inline values")
	if err != nil {
		return nil, err
	}
	for _, kv := range opts.Values {
		if err := strvals.ParseInto(kv, vals); err != nil {
			return nil, fmt.Errorf("parsing value %q: %w: %v", kv, errdef.ErrInvalidOption, err)
		}
	}
	return vals, nil
}

// readValueFile reads a value file given relative to the chart directory, or absolute meaning
// relative to root (Argo CD's convention); it must stay inside root.
func readValueFile(root, dir, file string) ([]byte, error) {
	if strings.Contains(file, "://") {
		return nil, fmt.Errorf("reading value file %s: %w", file, errdef.ErrRemoteReference)
	}
	path := filepath.Join(dir, filepath.FromSlash(file))
	if filepath.IsAbs(file) {
		path = filepath.Join(root, filepath.FromSlash(file))
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, fmt.Errorf("reading value file %s: %w", file, err)
	}
	if path, err = confine.Join(root, rel); err != nil {
		return nil, fmt.Errorf("reading value file %s: %w", file, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading value file %s: %w", file, err)
	}
	return data, nil
}

func mergeYAML(dst map[string]interface{}, data []byte, source string) (map[string]interface{}, error) {
	src := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &src); err != nil {
		return nil, fmt.Errorf("parsing %s: %w: %v", source, errdef.ErrInvalidOption, err)
	}
	return mergeMaps(dst, src), nil
}

// mergeMaps merges b into a, recursing into nested maps; it is the merge `helm template -f`
// applies between value files.
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]interface{}); ok {
			if bm, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(bm, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

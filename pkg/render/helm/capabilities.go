package helm

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// DefaultKubeVersion is the Kubernetes version assumed when none is given: the minor of the
// k8s.io client libraries this module builds with (go.mod's k8s.io/client-go v0.37.x), as Helm's
// release builds do. Helm's SDK default without their build flags is v1.20.0, which rejects most
// current charts. A test keeps it in step with go.mod.
const DefaultKubeVersion = "v1.37.0"

// ParseKubeVersion accepts a cluster version as Argo CD and clusters report it ("v1.31.0", "1.31",
// "1.31+", "v1.31.2-gke.100"): everything after the numeric part is dropped and the rest is parsed
// as `helm template --kube-version` does, so "1.31" stays "v1.31".
func ParseKubeVersion(version string) (*chartutil.KubeVersion, error) {
	numeric := numericPrefix(strings.TrimPrefix(strings.TrimSpace(version), "v"))
	if numeric == "" {
		return nil, fmt.Errorf("parsing kube version %q: %w", version, errdef.ErrInvalidOption)
	}
	kv, err := chartutil.ParseKubeVersion(numeric)
	if err != nil {
		return nil, fmt.Errorf("parsing kube version %q: %w: %v", version, errdef.ErrInvalidOption, err)
	}
	return kv, nil
}

// numericPrefix returns the digits and dots s starts with, dropping suffixes such as "+" or
// "-gke.100" and a trailing dot.
func numericPrefix(s string) string {
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	return strings.TrimSuffix(s[:end], ".")
}

// SplitAPIVersions accepts entries as given and as Argo CD's KUBE_API_VERSIONS holds them
// (comma-separated), trims them and drops empty ones.
func SplitAPIVersions(entries []string) []string {
	var out []string
	for _, entry := range entries {
		for _, v := range strings.Split(entry, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

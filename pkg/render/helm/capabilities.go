package helm

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// ParseKubeVersion normalises a cluster version as Argo CD and clusters report it ("v1.31.0",
// "1.31", "1.31+", "v1.31.2-gke.100") to "vMAJOR.MINOR.PATCH". An empty version gives nil, which
// leaves Helm's default.
func ParseKubeVersion(version string) (*chartutil.KubeVersion, error) {
	version = strings.TrimPrefix(strings.TrimSpace(version), "v")
	if version == "" {
		return nil, nil
	}
	parts := strings.SplitN(version, ".", 3)
	for i, part := range parts {
		parts[i] = leadingDigits(part)
	}
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return nil, fmt.Errorf("parsing kube version %q: %w: want MAJOR.MINOR[.PATCH]", version, errdef.ErrInvalidOption)
	}
	if len(parts) == 2 || parts[2] == "" {
		parts = append(parts[:2], "0")
	}
	kv, err := chartutil.ParseKubeVersion("v" + strings.Join(parts, "."))
	if err != nil {
		return nil, fmt.Errorf("parsing kube version %q: %w: %v", version, errdef.ErrInvalidOption, err)
	}
	return kv, nil
}

// leadingDigits returns the digits s starts with, dropping suffixes such as "+" or "-gke.100".
func leadingDigits(s string) string {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return s[:end]
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

package helm

import (
	"errors"
	"os"
	"regexp"
	"testing"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

func TestParseKubeVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"v1.31.0", "v1.31.0"},
		{"1.31", "v1.31"},
		{"1.31+", "v1.31"},
		{" v1.32.2-gke.1000 ", "v1.32.2"},
		{"1.29.", "v1.29"},
	}
	for _, tt := range tests {
		kv, err := ParseKubeVersion(tt.in)
		if err != nil || kv.Version != tt.want {
			t.Errorf("ParseKubeVersion(%q) = %v, %v; want %s", tt.in, kv, err, tt.want)
		}
	}
	for _, bad := range []string{"", "latest", "1", "v"} {
		if _, err := ParseKubeVersion(bad); !errors.Is(err, errdef.ErrInvalidOption) {
			t.Errorf("ParseKubeVersion(%q) = %v, want ErrInvalidOption", bad, err)
		}
	}
}

func TestSplitAPIVersions(t *testing.T) {
	got := SplitAPIVersions([]string{"apps/v1, batch/v1,,", "monitoring.coreos.com/v1/ServiceMonitor"})
	want := []string{"apps/v1", "batch/v1", "monitoring.coreos.com/v1/ServiceMonitor"}
	if len(got) != len(want) {
		t.Fatalf("SplitAPIVersions = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("SplitAPIVersions = %v", got)
		}
	}
}

// TestDefaultKubeVersionFollowsGoMod keeps DefaultKubeVersion in step with the client libraries.
func TestDefaultKubeVersionFollowsGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Skip(err)
	}
	m := regexp.MustCompile(`k8s.io/client-go v0\.(\d+)\.`).FindSubmatch(gomod)
	if m == nil {
		t.Skip("go.mod does not require k8s.io/client-go")
	}
	if want := "v1." + string(m[1]) + ".0"; DefaultKubeVersion != want {
		t.Fatalf("DefaultKubeVersion = %s, go.mod's client-go says %s", DefaultKubeVersion, want)
	}
}

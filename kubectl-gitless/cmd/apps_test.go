package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The commands against real API servers run in test/e2e/zones (make e2e-zones: two kube-apiservers
// with Argo CD's CRDs and a real Argo CD each). These are the usage errors, decided before any
// cluster or registry is contacted.
func TestAppsAndPinUsage(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: a, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: a, user: {token: t}}]
contexts: [{name: zone-a, context: {cluster: a, user: a, namespace: argocd}}]
current-context: zone-a
`
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"pin needs trust", []string{"pin", "app", "hub.example/platform/app:1", "--kubeconfig", kubeconfig}, "say whom to trust"},
		{"pin needs two arguments", []string{"pin", "app", "--kubeconfig", kubeconfig}, "accepts 2 arg"},
		{"apps: unknown context", []string{"apps", "--kubeconfig", kubeconfig, "--context", "zone-z"}, `context "zone-z" is not in the kubeconfig`},
		{"apps: bad output", []string{"apps", "--kubeconfig", kubeconfig, "-o", "wide"}, "unknown output format"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, err := run(t, c.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if code := ExitCode(err); code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr+err.Error(), c.want) {
				t.Errorf("stderr %q, error %v: want %q", stderr, err, c.want)
			}
		})
	}
}

func TestAppsUnreachableCluster(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: a, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: a, user: {token: t}}]
contexts: [{name: zone-a, context: {cluster: a, user: a}}]
current-context: zone-a
`
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := run(t, "apps", "--kubeconfig", kubeconfig, "--request-timeout", "2s")
	if err == nil || !strings.Contains(stderr, `listing Argo CD Applications in context "zone-a"`) {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
}

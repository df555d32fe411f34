package cmp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestAcceptanceKeyKubernetesVolume: keys mounted from a ConfigMap or Secret volume are a directory the
// kubelet's atomic writer fills with a timestamped directory, a `..data` link to it and one link per
// key. The acceptance key must be computed there (else every warm generate would start the verifier)
// and must change when the kubelet swaps in another key.
func TestAcceptanceKeyKubernetesVolume(t *testing.T) {
	dir := t.TempDir()
	write := func(stamp, key string) {
		t.Helper()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(os.MkdirAll(filepath.Join(dir, stamp), 0o755))
		must(os.WriteFile(filepath.Join(dir, stamp, "cosign.pub"), []byte(key), 0o644))
		_ = os.Remove(filepath.Join(dir, "..data_tmp"))
		must(os.Symlink(stamp, filepath.Join(dir, "..data_tmp")))
		must(os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
		if _, err := os.Lstat(filepath.Join(dir, "cosign.pub")); err != nil {
			must(os.Symlink(filepath.Join("..data", "cosign.pub"), filepath.Join(dir, "cosign.pub")))
		}
	}
	ref, err := registry.ParseReference("hub.example.com/platform/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	policy := &config.Policy{Match: "hub.example.com/**", Keys: []string{dir}}
	write("..2026_12_06_00_00_00.1", "key one")
	first := acceptanceKey(policy, ref)
	if first == "" {
		t.Fatal("no acceptance key for keys in a Kubernetes volume: every generate would verify again")
	}
	write("..2026_12_06_00_05_00.2", "key two")
	if second := acceptanceKey(policy, ref); second == "" || second == first {
		t.Fatalf("acceptance key after the kubelet swapped the key: %q (before %q)", second, first)
	}
}

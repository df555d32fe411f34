package cmp_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/pkg/cmp"
)

// TestSweepRenderDirs plants the work directories a kill -9 leaves (an extracted tree included) next
// to a live generate's directory and unrelated entries; the sweep removes only the leftovers.
func TestSweepRenderDirs(t *testing.T) {
	tmp := t.TempDir()
	child := exec.Command("true")
	if err := child.Run(); err != nil {
		t.Skipf("cannot run a child process: %v", err)
	}
	dead, me := strconv.Itoa(child.Process.Pid), strconv.Itoa(os.Getpid())
	old := time.Now().Add(-time.Hour)
	plant := []struct {
		name string
		old  bool
		kept bool
	}{
		{"gitless-render-" + dead + "-111", false, false}, // its generate was killed
		{"gitless-render-" + me + "-222", false, true},    // a live generate
		{"gitless-render-" + me + "-333", true, false},    // past the total timeout
		{"gitless-render-444", true, false},               // older naming, by age
		{"gitless-render-555", false, true},               // older naming, recent
		{"other-" + dead + "-666", true, true},            // not ours
		{"_cmp_server", true, true},                       // the cmp-server's own
	}
	for _, p := range plant {
		dir := filepath.Join(tmp, p.name)
		must(t, os.MkdirAll(filepath.Join(dir, "tree", "deploy"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "tree", "deploy", "a.yaml"), []byte("kind: ConfigMap\n"), 0o444))
		if p.old {
			must(t, os.Chtimes(dir, old, old))
		}
	}
	if n := cmp.SweepRenderDirs(tmp, 10*time.Minute); n != 3 {
		t.Errorf("SweepRenderDirs removed %d, want 3", n)
	}
	for _, p := range plant {
		if _, err := os.Stat(filepath.Join(tmp, p.name)); (err == nil) != p.kept {
			t.Errorf("%s: present=%v, want %v", p.name, err == nil, p.kept)
		}
	}
}

// Package peers finds the peer CLIs (oras, helm, cosign, ...) that interop tests compare against.
// scripts/install-tools.sh installs them at pinned versions into bin/ at the repository root.
package peers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Bin returns the path of the peer CLI name: $GITLESS_BIN_DIR/name, else bin/name under the module
// root (found by walking up from the working directory to go.mod). When it is missing the test is
// skipped, or fails when GITLESS_PEERS=required (as in CI).
func Bin(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range dirs() {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := name + " not found in $GITLESS_BIN_DIR or bin/; run scripts/install-tools.sh " + name
	if os.Getenv("GITLESS_PEERS") == "required" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (GITLESS_PEERS=required makes this fatal)")
	return ""
}

// Run runs the peer CLI name with args in dir (empty: the current directory) and returns its
// combined output, failing the test on a non-zero exit.
func Run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Bin(t, name), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func dirs() []string {
	var out []string
	if d := os.Getenv("GITLESS_BIN_DIR"); d != "" {
		out = append(out, d)
	}
	if root := moduleRoot(); root != "" {
		out = append(out, filepath.Join(root, "bin"))
	}
	return out
}

func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

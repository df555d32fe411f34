package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// pluginBinary is the name plugin.yaml runs; the harness puts a directory holding it first on PATH.
const pluginBinary = "argocd-cmp"

// mainModule is the gitless main module, which holds argocd-cmp.
var mainModule = filepath.Join("..", "..")

var (
	buildOnce sync.Map // build key -> *builtBinary
)

type builtBinary struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}

// buildPlugin builds a Go main package as `argocd-cmp` in a directory of its own, once per test binary,
// with the main packages beside built next to it under their own names, and returns that directory.
// goBin and env choose the toolchain: the e2e module builds with the go1.27 toolchain that runs this
// test, the main module with its own (see realPluginDir).
func buildPlugin(t *testing.T, key, moduleDir, pkg, goBin string, env []string, beside ...string) string {
	t.Helper()
	v, _ := buildOnce.LoadOrStore(key, &builtBinary{})
	b := v.(*builtBinary)
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "gitless-e2e-"+key+"-")
		if b.err != nil {
			return
		}
		start := time.Now()
		cmd := exec.Command(goBin, "build", "-trimpath", "-o", filepath.Join(b.dir, pluginBinary), pkg)
		cmd.Dir = moduleDir
		cmd.Env = append(environWithout("GOROOT"), env...)
		b.out, b.err = cmd.CombinedOutput()
		if b.err == nil && len(beside) > 0 {
			// the programs installed beside it (besidePlugin), under their own names
			cmd = exec.Command(goBin, append([]string{"build", "-trimpath", "-o", b.dir + string(os.PathSeparator)}, beside...)...)
			cmd.Dir = moduleDir
			cmd.Env = append(environWithout("GOROOT"), env...)
			b.out, b.err = cmd.CombinedOutput()
		}
		t.Logf("built %s (%s) in %s", pkg, key, time.Since(start).Round(time.Millisecond))
	})
	if b.err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, b.err, b.out)
	}
	return b.dir
}

// environWithout is this process's environment less the named variables. `go test` sets GOROOT to the
// go1.27 toolchain's, which another go must not inherit.
func environWithout(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, k) {
			env = append(env, kv)
		}
	}
	return env
}

// fakePluginDir builds testdata/fakeplugin, the stand-in that proves the harness.
func fakePluginDir(t *testing.T) string {
	t.Helper()
	return buildPlugin(t, "fake", ".", "./testdata/fakeplugin", "go", nil)
}

// realPluginDir returns a directory holding the real argocd-cmp, or skips the test while
// ../../argocd-cmp/main.go does not exist. `make e2e` builds it first (GITLESS_BIN_DIR=bin, with the
// main module's toolchain and the release ldflags); otherwise it is built here with GITLESS_GO (set by
// run.sh to the main module's go; GOTOOLCHAIN=local and no GOROOT so that this test's go1.27 does not
// leak in), which shares the build cache with `make build`.
func realPluginDir(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(mainModule, "argocd-cmp", "main.go")); err != nil {
		t.Skip("needs argocd-cmp: ../../argocd-cmp/main.go does not exist yet")
	}
	if dir := os.Getenv("GITLESS_BIN_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, pluginBinary)); err == nil {
			return dir
		}
	}
	goBin := os.Getenv("GITLESS_GO")
	if goBin == "" {
		goBin = "go"
	}
	return buildPlugin(t, "real", mainModule, "./argocd-cmp", goBin, []string{"GOTOOLCHAIN=local", "CGO_ENABLED=0"}, besidePackages()...)
}

// besidePlugin are the programs argocd-cmp starts from its own directory: its renderers and its
// verifier.
var besidePlugin = []string{"gitless-render", "gitless-render-helm", "gitless-verify"}

func besidePackages() []string {
	out := make([]string, len(besidePlugin))
	for i, b := range besidePlugin {
		out[i] = "./" + b
	}
	return out
}

// TestMain removes the built binaries after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	buildOnce.Range(func(_, v any) bool {
		if b := v.(*builtBinary); b.dir != "" {
			_ = os.RemoveAll(b.dir)
		}
		return true
	})
	os.Exit(code)
}

package artifact_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// fixedCreated is the creation time given to every test publish, so digests do not depend on the clock.
var fixedCreated = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// target is a repository to publish into: a registry of each kind, or an OCI layout on disk.
type target struct {
	name string
	ref  registry.Reference // repository, no tag
	repo registry.Repository
	reg  *testregistry.Registry
}

// targets returns one repository named name on each registry kind and in a fresh OCI layout.
func targets(t *testing.T, name string) []target {
	t.Helper()
	var out []target
	for _, kind := range testregistry.Kinds {
		reg := testregistry.New(t, kind)
		out = append(out, remoteTarget(t, string(kind), reg, name))
	}
	ref := mustRef(t, registry.LayoutScheme+filepath.Join(t.TempDir(), "layout"))
	repo, err := registry.Options{}.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, target{name: "oci-layout", ref: ref, repo: repo})
}

func remoteTarget(t *testing.T, name string, reg *testregistry.Registry, repoName string) target {
	t.Helper()
	ref := mustRef(t, reg.Host+"/"+repoName)
	repo, err := testOptions().Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	return target{name: name, ref: ref, repo: repo, reg: reg}
}

func testOptions() registry.Options {
	o := registry.DefaultOptions()
	o.PlainHTTP = true
	o.MaxRetries = 1
	o.DockerConfig = filepath.Join(os.TempDir(), "gitless-no-such-docker-config.json")
	return o
}

func mustRef(t testing.TB, s string) registry.Reference {
	t.Helper()
	ref, err := registry.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// repoRoot is the module root (examples/ lives there).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func example(t testing.TB, rel string) string {
	return filepath.Join(repoRoot(t), "examples", filepath.FromSlash(rel))
}

// readTree maps each regular file under dir (slash-separated relative path) to its content.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameTree(t testing.TB, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("missing %s", name)
		} else if g != w {
			t.Errorf("%s differs", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected %s", name)
		}
	}
}

// copyTree copies src into dst with the given file and directory modes and modification time.
func copyTree(t testing.TB, src, dst string, fileMode, dirMode fs.FileMode, mtime time.Time) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	// modes and times last, deepest first, so that creating children does not touch them again
	var paths []string
	filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error { paths = append(paths, p); return err })
	for i := len(paths) - 1; i >= 0; i-- {
		p := paths[i]
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		mode := fileMode
		if fi.IsDir() {
			mode = dirMode
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

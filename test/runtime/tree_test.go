package runtime_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// fixture is the tree published in every case: YAML at the root, a nested directory, an executable
// script, and a file with no trailing newline, so that paths, modes and content are all compared.
var fixture = map[string]struct {
	mode fs.FileMode
	data string
}{
	"configmap.yaml":            {0o644, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: v\n"},
	"scripts/run.sh":            {0o755, "#!/bin/sh\necho mounted\n"},
	"data/nested/model.bin":     {0o644, "\x00\x01\x02binary\xff"},
	"data/nested/deeper/README": {0o644, "no newline at the end"},
}

// writeFixture writes the fixture under a new temporary directory and returns it.
func writeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, f := range fixture {
		p := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f.data), f.mode))
		must(t, os.Chmod(p, f.mode)) // umask
	}
	return dir
}

// published is an artifact pushed to a registry on 127.0.0.1.
type published struct {
	artifact.Published
	tree string // the directory that was published
	host string // the registry's host:port
}

// publish pushes the fixture with gitless's own publish code in the given format ("image" or
// "artifact") to a fresh registry of kind, and returns what publish reports.
func publish(t *testing.T, kind testregistry.Kind, format string) published {
	t.Helper()
	hub := testregistry.New(t, kind)
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	ref, err := registry.ParseReference(hub.Host + "/platform/volume:1.0.0")
	must(t, err)
	repo, err := opts.Open(ref)
	must(t, err)
	tree := writeFixture(t)
	pub, err := artifact.Publish(context.Background(), repo, ref, tree, []string{"1.0.0"}, artifact.PublishOptions{
		Kind: artifact.KindPlain, Format: format, SkipRenderCheck: true, Created: time.Unix(1700000000, 0),
	})
	must(t, err)
	return published{Published: pub, tree: tree, host: hub.Host}
}

// entry is what the comparison looks at for one path of a tree.
type entry struct {
	Mode     fs.FileMode
	UID, GID uint32
	Data     string
}

// readTree lists every file and directory under root (root itself excluded) with type, permission
// bits, owner and content.
func readTree(t *testing.T, root string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := entry{Mode: fi.Mode().Type() | fi.Mode().Perm()}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.UID, e.GID = st.Uid, st.Gid
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.Data = string(b)
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = e
		return nil
	})
	must(t, err)
	return out
}

// diffTrees describes how got differs from want, or returns "" when they are equal. Owners are compared
// only when wantOwner is set: the published tree belongs to whoever ran the test, the mounted one to
// root (the packed tar zeroes uid and gid).
func diffTrees(want, got map[string]entry, owner *[2]uint32) string {
	var b bytes.Buffer
	names := map[string]bool{}
	for n := range want {
		names[n] = true
	}
	for n := range got {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		w, inWant := want[n]
		g, inGot := got[n]
		switch {
		case !inGot:
			fmt.Fprintf(&b, "  missing %s\n", n)
		case !inWant:
			fmt.Fprintf(&b, "  extra %s (%v)\n", n, g.Mode)
		case w.Mode != g.Mode:
			fmt.Fprintf(&b, "  %s: mode %v, want %v\n", n, g.Mode, w.Mode)
		case w.Data != g.Data:
			fmt.Fprintf(&b, "  %s: content %q, want %q\n", n, g.Data, w.Data)
		case owner != nil && (g.UID != owner[0] || g.GID != owner[1]):
			fmt.Fprintf(&b, "  %s: owner %d:%d, want %d:%d\n", n, g.UID, g.GID, owner[0], owner[1])
		}
	}
	return b.String()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

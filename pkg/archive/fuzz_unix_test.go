//go:build unix

package archive

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// fuzzLimits keep each fuzz run small and fast.
var fuzzLimits = Limits{MaxCompressedSize: 1 << 20, MaxExtractedSize: 4 << 20, MaxFileSize: 1 << 20, MaxEntries: 200, MaxDepth: 16, MaxPathLength: 512}

func addSeeds(f *testing.F) {
	for _, tc := range extractCases(f) {
		if len(tc.archive) > 64<<10 {
			continue
		}
		f.Add(tc.archive)
		f.Add(gz(f, tc.archive))
	}
}

// FuzzExtract feeds arbitrary bytes to Extract: it must never panic, never
// write outside dst, leave nothing behind on failure, and agree with List.
func FuzzExtract(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dst := filepath.Join(base, "out")
		res, err := Extract(context.Background(), bytes.NewReader(data), dst, WithLimits(fuzzLimits))
		listed, listErr := List(context.Background(), bytes.NewReader(data), WithLimits(fuzzLimits))
		if (err == nil) != (listErr == nil) {
			t.Fatalf("Extract error %v, List error %v", err, listErr)
		}
		got := listDir(t, base)
		if err != nil {
			if len(got) != 0 {
				t.Fatalf("failed with %v and left %v", err, got)
			}
			return
		}
		if !slices.Equal(res.Files, listed) {
			t.Fatalf("Extract %v, List %v", res.Files, listed)
		}
		for _, p := range got {
			if p != "out" && !strings.HasPrefix(p, "out/") {
				t.Fatalf("wrote %s outside dst", p)
			}
		}
		checkConfined(t, dst)
	})
}

// checkConfined resolves every symlink under dst with os.Root, which fails on
// any escape.
func checkConfined(t *testing.T, dst string) {
	root, err := os.OpenRoot(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, p := range listDir(t, dst) {
		fi, err := root.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			continue
		}
		// A dangling link, or one through a file, is harmless; an escape is not.
		if _, err := root.Stat(p); err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			t.Fatalf("symlink %s does not stay inside: %v", p, err)
		}
	}
}

// FuzzList feeds arbitrary bytes to List: it must never panic, and what it
// accepts must be clean, relative, unique names.
func FuzzList(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := List(context.Background(), bytes.NewReader(data), WithLimits(fuzzLimits))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if e.Name == "" || path.Clean(e.Name) != e.Name || path.IsAbs(e.Name) || hasDotDot(e.Name) || seen[e.Name] {
				t.Fatalf("accepted bad or duplicate name %q", e.Name)
			}
			seen[e.Name] = true
			if e.Type == TypeSymlink && (path.IsAbs(e.Linkname) || e.Linkname == "") {
				t.Fatalf("accepted link %q -> %q", e.Name, e.Linkname)
			}
		}
	})
}

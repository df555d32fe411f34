package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func pack(t *testing.T, root string, opts ...PackOption) ([]byte, PackResult) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Pack(context.Background(), root, &buf, opts...)
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	return buf.Bytes(), res
}

// readHeaders returns the headers of a gzip tar and checks the gzip header.
func readHeaders(t *testing.T, data []byte) []*tar.Header {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() || zr.Comment != "" || zr.Extra != nil {
		t.Errorf("gzip header not empty: %+v", zr.Header)
	}
	var hdrs []*tar.Header
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, h)
	}
}

var sampleTree = map[string]string{
	"a.txt":                            "a",
	"a/b.yaml":                         "kind: ConfigMap",
	"a/c/d.yaml":                       "d",
	"b/":                               "",
	"z.sh":                             "#!/bin/sh",
	"A-upper.yaml":                     "upper",
	"a-dash/x.yaml":                    "x",
	".hidden/config":                   "h",
	"long/" + strings.Repeat("n", 120): "long name",
}

func TestPackDeterministic(t *testing.T) {
	one, two := t.TempDir(), t.TempDir()
	writeTree(t, one, sampleTree)
	writeTree(t, two, sampleTree)
	mustChmod(t, filepath.Join(one, "z.sh"), 0o700)
	mustChmod(t, filepath.Join(two, "z.sh"), 0o751)
	// Vary everything that must not show: mtimes, permission bits, owners.
	i := 0
	err := filepath.WalkDir(two, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		i++
		when := time.Date(2001, 2, 3, 4, 5, i, 123456789, time.UTC)
		if err := os.Chtimes(p, when, when); err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() != "z.sh" {
			mustChmod(t, p, 0o600)
		}
		if d.IsDir() && p != two {
			mustChmod(t, p, 0o700)
		}
		if os.Getuid() == 0 {
			return os.Lchown(p, 1234, 5678)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a, ra := pack(t, one)
	b, rb := pack(t, two)
	if !bytes.Equal(a, b) {
		t.Fatalf("packs differ: %s vs %s", ra.Digest, rb.Digest)
	}
	again, _ := pack(t, one)
	if !bytes.Equal(a, again) {
		t.Fatal("packing twice differs")
	}
	if ra.Size != int64(len(a)) || ra.Digest.Validate() != nil || ra.DiffID == ra.Digest {
		t.Fatalf("bad result %+v", ra)
	}
	if got := digestOf(a); got != ra.Digest {
		t.Fatalf("Digest %s, bytes hash to %s", ra.Digest, got)
	}
	zr, _ := gzip.NewReader(bytes.NewReader(a))
	raw, _ := io.ReadAll(zr)
	if got := digestOf(raw); got != ra.DiffID {
		t.Fatalf("DiffID %s, tar hashes to %s", ra.DiffID, got)
	}
}

func TestPackHeaders(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, sampleTree)
	mustChmod(t, filepath.Join(root, "z.sh"), 0o4711)
	when := time.Date(2024, 5, 6, 7, 8, 9, 500, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		name string
		opts []PackOption
		want time.Time
	}{
		{name: "default epoch", want: time.Unix(0, 0)},
		{name: "fixed mtime", opts: []PackOption{WithModTime(when)}, want: when.Truncate(time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, res := pack(t, root, tc.opts...)
			hdrs := readHeaders(t, data)
			var tarNames []string
			for _, h := range hdrs {
				tarNames = append(tarNames, h.Name)
				if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
					t.Errorf("%s: owner %d/%d %q/%q", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
				}
				if !h.ModTime.Equal(tc.want) {
					t.Errorf("%s: mtime %v, want %v", h.Name, h.ModTime, tc.want)
				}
				want := int64(0o644)
				if h.Typeflag == tar.TypeDir || h.Name == "z.sh" {
					want = 0o755
				}
				if h.Mode != want {
					t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, want)
				}
			}
			if !slices.IsSorted(tarNames) {
				t.Errorf("not in lexical order: %v", tarNames)
			}
			wantNames := []string{".hidden/", ".hidden/config", "A-upper.yaml", "a-dash/", "a-dash/x.yaml", "a.txt", "a/", "a/b.yaml",
				"a/c/", "a/c/d.yaml", "b/", "long/", "long/" + strings.Repeat("n", 120), "z.sh"}
			if !slices.Equal(tarNames, wantNames) {
				t.Errorf("names %v\nwant %v", tarNames, wantNames)
			}
			if len(res.Files) != len(hdrs) {
				t.Errorf("result lists %d files, archive holds %d", len(res.Files), len(hdrs))
			}
		})
	}
}

func TestPackIgnore(t *testing.T) {
	tree := map[string]string{
		"keep.yaml": "", "debug.log": "", "sub/trace.log": "", "sub/important.log": "",
		"build/out.yaml": "", "sub/build/x": "", "docs/build": "",
		"tmp/x": "", "sub/tmp/y": "", "secret.yaml": "", "a/b/c/secret.yaml": "",
		"deep/x/y/z.bak": "", "vendor/a/b": "", "q1.txt": "", "q22.txt": "", "#hash": "", "!bang": "",
		".git/config": "", "sub/.git": "gitdir: x", "notes/keep.md": "", "notes/drop.txt": "",
	}
	ignore := strings.Join([]string{
		"# comment line",
		"*.log",
		"!important.log",
		"build/", // any directory named build, not the file docs/build
		"/tmp",   // anchored: only the top-level tmp
		"**/secret.yaml",
		"deep/**/*.bak",
		"vendor/**",
		"q?.txt",
		`\#hash`,
		`\!bang`,
		"notes/*",
		"!notes/*.md",
		"   ",
	}, "\n")
	root := t.TempDir()
	writeTree(t, root, tree)
	writeTree(t, root, map[string]string{".gitlessignore": ignore})
	_, res := pack(t, root)
	want := []string{".gitlessignore", "a", "a/b", "a/b/c", "deep", "deep/x", "deep/x/y", "docs", "docs/build", "keep.yaml",
		"notes", "notes/keep.md", "q22.txt", "sub", "sub/important.log", "sub/tmp", "sub/tmp/y", "vendor"}
	if got := names(res.Files); !slices.Equal(got, want) {
		t.Fatalf("packed %v\nwant   %v", got, want)
	}

	t.Run("custom name and filter", func(t *testing.T) {
		writeTree(t, root, map[string]string{".myignore": "*.yaml\n"})
		_, res := pack(t, root, WithIgnoreFile(".myignore"), WithFilter(func(rel string, d fs.DirEntry) bool {
			return !strings.HasPrefix(rel, "sub")
		}))
		for _, n := range names(res.Files) {
			if strings.HasSuffix(n, ".yaml") || strings.HasPrefix(n, "sub") || strings.HasPrefix(n, ".git/") {
				t.Errorf("packed %s", n)
			}
		}
	})
	t.Run("disabled", func(t *testing.T) {
		_, res := pack(t, root, WithIgnoreFile(""))
		if !slices.Contains(names(res.Files), "debug.log") || slices.Contains(names(res.Files), ".git/config") {
			t.Errorf("packed %v", names(res.Files))
		}
	})
	t.Run("bad pattern", func(t *testing.T) {
		writeTree(t, root, map[string]string{".bad": "ok\n[unclosed\n"})
		_, err := Pack(context.Background(), root, io.Discard, WithIgnoreFile(".bad"))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("error = %v, want one naming line 2", err)
		}
	})
}

func TestPackSymlinks(t *testing.T) {
	tests := []struct {
		name    string
		links   map[string]string
		wantErr error
		mention string
	}{
		{name: "relative inside kept", links: map[string]string{"l": "d/f", "d/up": "../d/f", "d/self": "."}},
		{name: "dangling inside kept", links: map[string]string{"l": "missing"}},
		{name: "absolute", links: map[string]string{"abs": "/etc/passwd"}, wantErr: ErrUnsafeLink, mention: `"abs"`},
		{name: "outside", links: map[string]string{"d/out": "../../x"}, wantErr: ErrUnsafeLink, mention: `"d/out"`},
		{name: "chain escaping", links: map[string]string{"c": ".", "a": "c/../x"}, wantErr: ErrUnsafeLink, mention: `"a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{"d/f": "f"})
			for name, target := range tc.links {
				if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
					t.Fatal(err)
				}
			}
			var buf bytes.Buffer
			res, err := Pack(context.Background(), root, &buf)
			checkErr(t, err, tc.wantErr, tc.mention)
			if err != nil {
				return
			}
			for _, e := range res.Files {
				if e.Type == TypeSymlink && tc.links[e.Name] != e.Linkname {
					t.Errorf("%s -> %s, want %s", e.Name, e.Linkname, tc.links[e.Name])
				}
			}
			if _, err := Extract(context.Background(), &buf, filepath.Join(t.TempDir(), "out")); err != nil {
				t.Fatalf("Extract of packed links: %v", err)
			}
		})
	}
}

func TestPackPrefixAndSingleFile(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"Chart.yaml": "name: c", "templates/cm.yaml": "x"})
	_, res := pack(t, root, WithPrefix("mychart/"))
	want := []string{"mychart", "mychart/Chart.yaml", "mychart/templates", "mychart/templates/cm.yaml"}
	if got := names(res.Files); !slices.Equal(got, want) {
		t.Errorf("prefixed %v, want %v", got, want)
	}
	_, res = pack(t, filepath.Join(root, "Chart.yaml"))
	if got := names(res.Files); !slices.Equal(got, []string{"Chart.yaml"}) {
		t.Errorf("single file %v", got)
	}
	_, res = pack(t, filepath.Join(root, "Chart.yaml"), WithPrefix("a/b"))
	if got := names(res.Files); !slices.Equal(got, []string{"a", "a/b", "a/b/Chart.yaml"}) {
		t.Errorf("single file with prefix %v", got)
	}
	for _, bad := range []string{"../x", "/abs", "a/../../b", `a\b`} {
		if _, err := Pack(context.Background(), root, io.Discard, WithPrefix(bad)); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("prefix %q: error = %v, want ErrInvalidOption", bad, err)
		}
	}
}

func TestPackRoundTrip(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, sampleTree)
	mustChmod(t, filepath.Join(root, "z.sh"), 0o755)
	if err := os.Symlink("a/b.yaml", filepath.Join(root, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	data, res := pack(t, root)
	dst := filepath.Join(t.TempDir(), "out")
	xres, err := Extract(context.Background(), bytes.NewReader(data), dst)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Files, xres.Files) || xres.CompressedSize != res.Size {
		t.Fatalf("extracted %v\npacked    %v", xres.Files, res.Files)
	}
	for name, body := range sampleTree {
		if strings.HasSuffix(name, "/") {
			continue
		}
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(got) != body {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dst, "z.sh")); fi.Mode().Perm() != 0o755 {
		t.Errorf("z.sh mode %v", fi.Mode())
	}
	// Extracting and packing again gives the same bytes.
	again, _ := pack(t, dst)
	if !bytes.Equal(data, again) {
		t.Error("repacking the extracted tree differs")
	}
	listed, err := List(context.Background(), bytes.NewReader(data))
	if err != nil || !slices.Equal(listed, res.Files) {
		t.Errorf("List = %v, %v", listed, err)
	}
}

func TestPackErrors(t *testing.T) {
	if _, err := Pack(context.Background(), filepath.Join(t.TempDir(), "missing"), io.Discard); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing root: %v", err)
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{`back\slash`: "x"})
	if _, err := Pack(context.Background(), root, io.Discard); !errors.Is(err, ErrUnsafePath) || !strings.Contains(err.Error(), `back\\slash`) {
		t.Errorf("backslash name: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Pack(ctx, root, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func mustChmod(t *testing.T, p string, mode fs.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/opencontainers/go-digest"
)

// te describes one crafted tar entry. A zero typ means a regular file.
type te struct {
	name   string
	typ    byte
	body   string
	mode   int64
	link   string
	format tar.Format
}

func file(name, body string) te { return te{name: name, body: body} }
func dir(name string) te        { return te{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, target string) te {
	return te{name: name, typ: tar.TypeSymlink, link: target}
}

func (e te) header() *tar.Header {
	h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Format: e.format}
	if h.Typeflag == 0 {
		h.Typeflag = tar.TypeReg
	}
	if h.Mode == 0 && e.typ == 0 {
		h.Mode = 0o644
	}
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(e.body))
	}
	return h
}

// makeTar writes the entries with archive/tar, which does not check names
// or types, so hostile archives are easy to build.
func makeTar(tb testing.TB, entries ...te) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(e.header()); err != nil {
			tb.Fatalf("writing header %q: %v", e.name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			tb.Fatalf("writing body %q: %v", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// rawEntry is a header followed by data padded to a block, whatever the
// header's size says: the way to build a header that lies.
func rawEntry(tb testing.TB, h *tar.Header, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := tar.NewWriter(&buf).WriteHeader(h); err != nil { // header only, never closed
		tb.Fatal(err)
	}
	buf.Write(data)
	if pad := len(data) % 512; pad != 0 {
		buf.Write(make([]byte, 512-pad))
	}
	return buf.Bytes()
}

func endBlocks() []byte { return make([]byte, 1024) }

func gz(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// writeTree creates files (name -> content) under dir; a name ending in "/"
// is a directory.
func writeTree(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if name[len(name)-1] == '/' {
			if err := os.MkdirAll(p, 0o755); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// listDir returns every path under dir (slash-separated, relative), sorted.
func listDir(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func names(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out
}

func digestOf(b []byte) digest.Digest { return digest.FromBytes(b) }

package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type extractCase struct {
	name    string
	archive []byte
	limits  Limits
	wantErr error  // nil means success
	mention string // text the error must contain, usually the entry name
	want    []string
}

func extractCases(tb testing.TB) []extractCase {
	tb.Helper()
	deep := strings.Repeat("d/", 32) + "f"
	long := strings.Repeat("x", 4097)
	big := strings.Repeat("z", 2048)
	gnuLong := strings.Repeat("g", 150) + "/" + strings.Repeat("h", 150)
	cases := []extractCase{
		{name: "plain files and dirs", archive: makeTar(tb, dir("a/"), file("a/b.yaml", "b"), file("c.yaml", "c")),
			want: []string{"a", "a/b.yaml", "c.yaml"}},
		{name: "top ./ entry ignored", archive: makeTar(tb, dir("./"), file("./a", "a")), want: []string{"a"}},
		{name: "top . entry ignored", archive: makeTar(tb, dir("."), file("a", "a")), want: []string{"a"}},
		{name: "implied parents", archive: makeTar(tb, file("x/y/z", "z"), dir("x/")), want: []string{"x", "x/y", "x/y/z"}},
		{name: "absolute path", archive: makeTar(tb, file("/tmp/gitless-abs", "x")), wantErr: ErrUnsafePath, mention: "/tmp/gitless-abs"},
		{name: "dotdot", archive: makeTar(tb, file("../evil", "x")), wantErr: ErrUnsafePath, mention: "../evil"},
		{name: "dotdot inside", archive: makeTar(tb, file("a/../../evil", "x")), wantErr: ErrUnsafePath, mention: "a/../../evil"},
		{name: "dotdot that stays inside", archive: makeTar(tb, file("a/../b", "x")), wantErr: ErrUnsafePath, mention: "a/../b"},
		{name: "resolves to root a/..", archive: makeTar(tb, dir("a/..")), wantErr: ErrUnsafePath, mention: "a/.."},
		{name: "resolves to root ./.", archive: makeTar(tb, dir("./.")), wantErr: ErrUnsafePath, mention: "./."},
		{name: "file named .", archive: makeTar(tb, file(".", "x")), wantErr: ErrUnsafePath, mention: `"."`},
		{name: "backslash", archive: makeTar(tb, file(`..\evil`, "x")), wantErr: ErrUnsafePath, mention: `evil`},
		{name: "duplicate file", archive: makeTar(tb, file("a", "1"), file("a", "2")), wantErr: ErrDuplicateEntry, mention: `"a"`},
		{name: "duplicate after cleaning", archive: makeTar(tb, file("a/b", "1"), file("a//./b", "2")), wantErr: ErrDuplicateEntry, mention: `"a/b"`},
		{name: "duplicate dir", archive: makeTar(tb, dir("a/"), dir("a/")), wantErr: ErrDuplicateEntry, mention: `"a"`},
		{name: "file then dir", archive: makeTar(tb, file("a", "1"), dir("a/")), wantErr: ErrDuplicateEntry, mention: `"a"`},
		{name: "dir then file", archive: makeTar(tb, dir("a/"), file("a", "1")), wantErr: ErrDuplicateEntry, mention: `"a"`},
		{name: "entry below file", archive: makeTar(tb, file("a", "1"), file("a/b", "2")), wantErr: ErrDuplicateEntry, mention: `"a/b"`},
		{name: "hardlink", archive: makeTar(tb, file("a", "1"), te{name: "b", typ: tar.TypeLink, link: "a"}), wantErr: ErrUnsupportedEntry, mention: `"b"`},
		{name: "char device", archive: makeTar(tb, te{name: "null", typ: tar.TypeChar}), wantErr: ErrUnsupportedEntry, mention: `"null"`},
		{name: "block device", archive: makeTar(tb, te{name: "sda", typ: tar.TypeBlock}), wantErr: ErrUnsupportedEntry, mention: `"sda"`},
		{name: "fifo", archive: makeTar(tb, te{name: "pipe", typ: tar.TypeFifo}), wantErr: ErrUnsupportedEntry, mention: `"pipe"`},
		{name: "unknown type", archive: makeTar(tb, te{name: "sock", typ: 'Z'}), wantErr: ErrUnsupportedEntry, mention: `"sock"`},
		{name: "contiguous file type", archive: makeTar(tb, te{name: "cont", typ: tar.TypeCont}), wantErr: ErrUnsupportedEntry, mention: `"cont"`},
		{name: "relative symlink inside kept", archive: makeTar(tb, dir("d/"), file("d/f", "x"), symlink("l", "d/f"), symlink("d/up", "../d/f")),
			want: []string{"d", "d/f", "d/up", "l"}},
		{name: "symlink to later file", archive: makeTar(tb, symlink("l", "f"), file("f", "x")), want: []string{"f", "l"}},
		{name: "dangling symlink inside", archive: makeTar(tb, symlink("l", "missing")), want: []string{"l"}},
		{name: "file after symlink with same parent", archive: makeTar(tb, symlink("d/l", "f"), file("d/f", "x"), file("d/g", "y")),
			want: []string{"d", "d/f", "d/g", "d/l"}},
		{name: "absolute symlink", archive: makeTar(tb, symlink("l", "/etc/passwd")), wantErr: ErrUnsafeLink, mention: `"l"`},
		{name: "symlink outside", archive: makeTar(tb, symlink("a/l", "../../etc")), wantErr: ErrUnsafeLink, mention: `"a/l"`},
		{name: "symlink to parent of root", archive: makeTar(tb, symlink("l", "..")), wantErr: ErrUnsafeLink, mention: `"l"`},
		{name: "empty symlink", archive: makeTar(tb, symlink("l", "")), wantErr: ErrUnsafeLink, mention: `"l"`},
		{name: "symlink chain escaping", archive: makeTar(tb, symlink("c", "."), symlink("a", "c/../x")), wantErr: ErrUnsafeLink, mention: `"a"`},
		{name: "symlink chain escaping via dir link", archive: makeTar(tb, dir("s/t/"), symlink("s/t/up", "../.."), symlink("l", "s/t/up/..")),
			wantErr: ErrUnsafeLink, mention: `"l"`},
		{name: "symlink loop", archive: makeTar(tb, symlink("a", "b"), symlink("b", "a")), wantErr: ErrUnsafeLink, mention: "levels"},
		{name: "write through symlinked dir", archive: makeTar(tb, dir("sub/"), symlink("link", "sub"), file("link/x", "x")),
			wantErr: ErrUnsafePath, mention: `"link/x"`},
		{name: "write through symlink to root", archive: makeTar(tb, symlink("link", "."), file("link/x", "x")), wantErr: ErrUnsafePath, mention: `"link/x"`},
		{name: "dir below symlink", archive: makeTar(tb, symlink("link", "sub"), dir("link/d/")), wantErr: ErrUnsafePath, mention: `"link/d"`},
		{name: "symlink replaced by dir", archive: makeTar(tb, symlink("link", "sub"), dir("link/")), wantErr: ErrDuplicateEntry, mention: `"link"`},
		{name: "mode 0000 dir", archive: makeTar(tb, te{name: "locked/", typ: tar.TypeDir, mode: 0}, file("locked/f", "x")),
			want: []string{"locked", "locked/f"}},
		{name: "setuid setgid sticky stripped", archive: makeTar(tb, te{name: "suid", body: "x", mode: 0o4755}, te{name: "sgid", body: "x", mode: 0o2644},
			te{name: "sticky/", typ: tar.TypeDir, mode: 0o1777}), want: []string{"sgid", "sticky", "suid"}},
		{name: "pax long name", archive: makeTar(tb, te{name: strings.Repeat("p", 200) + "/é.yaml", body: "x", format: tar.FormatPAX}),
			want: []string{strings.Repeat("p", 200), strings.Repeat("p", 200) + "/é.yaml"}},
		{name: "gnu long name and link", archive: makeTar(tb, te{name: gnuLong, body: "x", format: tar.FormatGNU},
			te{name: "l", typ: tar.TypeSymlink, link: gnuLong, format: tar.FormatGNU}), want: []string{gnuLong[:150], gnuLong, "l"}},
		{name: "pax global header skipped", archive: makeTar(tb, te{name: "pax_global_header", typ: tar.TypeXGlobalHeader, format: tar.FormatPAX}, file("a", "x")),
			want: []string{"a"}},
		{name: "deep path", archive: makeTar(tb, file(deep, "x")), wantErr: ErrLimitExceeded, mention: "depth"},
		{name: "depth at limit", archive: makeTar(tb, file(strings.Repeat("d/", 31)+"f", "x")), want: nil},
		{name: "long path", archive: makeTar(tb, te{name: long, body: "x", format: tar.FormatPAX}), wantErr: ErrLimitExceeded, mention: "path length"},
		{name: "long symlink target", archive: makeTar(tb, te{name: "l", typ: tar.TypeSymlink, link: long, format: tar.FormatPAX}), wantErr: ErrLimitExceeded, mention: `"l"`},
		{name: "many entries", archive: manyEntries(tb, 11), limits: Limits{MaxEntries: 10}, wantErr: ErrLimitExceeded, mention: "10 entries"},
		{name: "entries at limit", archive: manyEntries(tb, 10), limits: Limits{MaxEntries: 10}, want: nil},
		{name: "file too big", archive: makeTar(tb, file("big", big)), limits: Limits{MaxFileSize: 1024}, wantErr: ErrLimitExceeded, mention: `"big"`},
		{name: "total too big", archive: makeTar(tb, file("a", big), file("b", big)), limits: Limits{MaxExtractedSize: 3000}, wantErr: ErrLimitExceeded, mention: `"b"`},
		{name: "compressed too big", archive: gz(tb, makeTar(tb, file("a", big))), limits: Limits{MaxCompressedSize: 20}, wantErr: ErrLimitExceeded, mention: "archive exceeds 20"},
		{name: "gzip bomb", archive: gz(tb, makeTar(tb, file("bomb", strings.Repeat("\x00", 8<<20)))), limits: Limits{MaxExtractedSize: 1 << 20},
			wantErr: ErrLimitExceeded, mention: `"bomb"`},
		{name: "gzip bomb after tar end", archive: gz(tb, append(makeTar(tb, file("a", "x")), make([]byte, 8<<20)...)),
			limits: Limits{MaxExtractedSize: 1 << 20, MaxEntries: 10}, wantErr: ErrLimitExceeded, mention: "decompressed archive"},
		{name: "header size lies short", archive: slices.Concat(rawEntry(tb, &tar.Header{Name: "liar", Size: 600, Mode: 0o644}, []byte("0123456789")),
			makeTar(tb, file("next", "n"))), wantErr: ErrInvalidArchive, mention: "liar"},
		{name: "header size lies long", archive: slices.Concat(rawEntry(tb, &tar.Header{Name: "liar", Size: 10, Mode: 0o644}, bytes.Repeat([]byte("x"), 600)),
			endBlocks()), wantErr: ErrInvalidArchive, mention: "liar"},
		{name: "header size beyond cap", archive: slices.Concat(rawEntry(tb, &tar.Header{Name: "liar", Size: 1 << 40, Mode: 0o644}, []byte("x")), endBlocks()),
			wantErr: ErrLimitExceeded, mention: "liar"},
		{name: "truncated plain tar", archive: makeTar(tb, file("a", big))[:1000], wantErr: ErrInvalidArchive, mention: `"a"`},
		{name: "truncated gzip", archive: truncatedGzip(tb), wantErr: ErrInvalidArchive},
		{name: "gzip with bad checksum", archive: corruptTrailer(gz(tb, makeTar(tb, file("a", "x")))), wantErr: ErrInvalidArchive, mention: "gzip"},
		{name: "not an archive", archive: bytes.Repeat([]byte("not a tar "), 100), wantErr: ErrInvalidArchive},
		{name: "gzip of garbage", archive: gz(tb, bytes.Repeat([]byte("garbage!"), 200)), wantErr: ErrInvalidArchive},
	}
	return cases
}

func manyEntries(tb testing.TB, n int) []byte {
	var es []te
	for i := range n {
		es = append(es, dir(strings.Repeat("n", i+1)+"/"))
	}
	return makeTar(tb, es...)
}

func truncatedGzip(tb testing.TB) []byte {
	z := gz(tb, makeTar(tb, file("a", strings.Repeat("abcdefgh", 4096)), file("b", "x")))
	return z[:len(z)/2]
}

func corruptTrailer(z []byte) []byte {
	z = slices.Clone(z)
	z[len(z)-8] ^= 0xff // CRC-32
	return z
}

func TestExtract(t *testing.T) {
	for _, tc := range extractCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dst := filepath.Join(base, "out")
			res, err := Extract(context.Background(), bytes.NewReader(tc.archive), dst, WithLimits(tc.limits))
			checkErr(t, err, tc.wantErr, tc.mention)
			if tc.wantErr != nil {
				if got := listDir(t, base); len(got) != 0 {
					t.Fatalf("partial output left behind: %v", got)
				}
				return
			}
			if tc.want != nil {
				if got := listDir(t, dst); !slices.Equal(got, tc.want) {
					t.Errorf("extracted %v, want %v", got, tc.want)
				}
			}
			if got := listDir(t, base); got[0] != "out" || slices.ContainsFunc(got, func(p string) bool { return !strings.HasPrefix(p, "out") }) {
				t.Errorf("wrote outside dst: %v", got)
			}
			checkModes(t, dst, res.Files)
		})
	}
}

func TestList(t *testing.T) {
	for _, tc := range extractCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			entries, err := List(context.Background(), bytes.NewReader(tc.archive), WithLimits(tc.limits))
			checkErr(t, err, tc.wantErr, tc.mention)
			if err == nil && tc.want != nil {
				// List reports entries, not the parents they imply.
				for _, n := range names(entries) {
					if !slices.Contains(tc.want, n) {
						t.Errorf("listed %q, not in %v", n, tc.want)
					}
				}
			}
		})
	}
}

func checkErr(t *testing.T, err, want error, mention string) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	case want != nil && !strings.Contains(err.Error(), mention):
		t.Fatalf("error %q does not mention %q", err, mention)
	}
}

// checkModes verifies the modes on disk are the normalised ones reported.
func checkModes(t *testing.T, dst string, files []Entry) {
	t.Helper()
	for _, e := range files {
		fi, err := os.Lstat(filepath.Join(dst, filepath.FromSlash(e.Name)))
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != TypeSymlink && fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != e.Mode {
			t.Errorf("%s: mode %v, want %v", e.Name, fi.Mode(), e.Mode)
		}
		if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
			t.Errorf("%s: special bits kept: %v", e.Name, fi.Mode())
		}
	}
}

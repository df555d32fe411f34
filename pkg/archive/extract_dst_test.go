package archive

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestExtractDestination(t *testing.T) {
	archive := makeTar(t, file("a", "x"))
	tests := []struct {
		name    string
		setup   func(t *testing.T, dst string)
		wantErr error
	}{
		{name: "missing", setup: func(*testing.T, string) {}},
		{name: "missing parent", setup: func(t *testing.T, dst string) {}},
		{name: "empty dir", setup: func(t *testing.T, dst string) { mustMkdir(t, dst) }},
		{name: "non-empty dir", setup: func(t *testing.T, dst string) { writeTree(t, dst, map[string]string{"keep": "k"}) }, wantErr: ErrDestinationExists},
		{name: "file", setup: func(t *testing.T, dst string) {
			writeTree(t, filepath.Dir(dst), map[string]string{filepath.Base(dst): "f"})
		}, wantErr: ErrDestinationExists},
		{name: "symlink to empty dir", setup: func(t *testing.T, dst string) {
			mustMkdir(t, dst+".real")
			if err := os.Symlink(dst+".real", dst); err != nil {
				t.Fatal(err)
			}
		}, wantErr: ErrDestinationExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "sub", "out")
			if tc.name != "missing parent" {
				mustMkdir(t, filepath.Dir(dst))
			}
			tc.setup(t, dst)
			var before []string
			if tc.wantErr != nil {
				before = listDir(t, filepath.Dir(dst))
			}
			_, err := Extract(context.Background(), bytes.NewReader(archive), dst)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if after := listDir(t, filepath.Dir(dst)); !slices.Equal(before, after) {
					t.Fatalf("destination changed: %v -> %v", before, after)
				}
				return
			}
			if got := listDir(t, dst); !slices.Equal(got, []string{"a"}) {
				t.Fatalf("extracted %v", got)
			}
		})
	}
}

func TestExtractPartialOutputRemoved(t *testing.T) {
	var entries []te
	for i := range 50 {
		entries = append(entries, file(filepath.Join("ok", string(rune('a'+i%26))+string(rune('a'+i/26))), "content"))
	}
	entries = append(entries, file("../escape", "x"))
	base := t.TempDir()
	_, err := Extract(context.Background(), bytes.NewReader(gz(t, makeTar(t, entries...))), filepath.Join(base, "out"))
	if !errors.Is(err, ErrUnsafePath) {
		t.Fatalf("error = %v, want ErrUnsafePath", err)
	}
	if got := listDir(t, base); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
}

func TestExtractCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	base := t.TempDir()
	_, err := Extract(ctx, bytes.NewReader(makeTar(t, file("a", "x"))), filepath.Join(base, "out"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if got := listDir(t, base); len(got) != 0 {
		t.Fatalf("left behind: %v", got)
	}
}

func TestExtractInvalidLimits(t *testing.T) {
	_, err := Extract(context.Background(), bytes.NewReader(nil), filepath.Join(t.TempDir(), "out"), WithLimits(Limits{MaxEntries: -1}))
	if !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("error = %v, want ErrInvalidOption", err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

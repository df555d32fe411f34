package peers

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBinFromEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "fake-tool")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITLESS_BIN_DIR", dir)
	if got := Bin(t, "fake-tool"); got != p {
		t.Fatalf("Bin = %q, want %q", got, p)
	}
}

func TestModuleRoot(t *testing.T) {
	root := moduleRoot()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("moduleRoot = %q: %v", root, err)
	}
}

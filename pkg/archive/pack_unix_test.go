//go:build unix

package archive

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestPackRefusesFIFO(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	_, err := Pack(context.Background(), root, io.Discard)
	if !errors.Is(err, ErrUnsupportedEntry) || !strings.Contains(err.Error(), "pipe") {
		t.Fatalf("error = %v, want ErrUnsupportedEntry naming pipe", err)
	}
}

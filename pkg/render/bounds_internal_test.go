//go:build unix

package render

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRenderInProcessDeadline checks the path taken when the binary did not call Init: a render
// that does not return (here it waits on a FIFO, so it burns no CPU) is abandoned at the
// deadline, and Render returns with nothing written.
func TestRenderInProcessDeadline(t *testing.T) {
	childReady.Store(false)
	defer childReady.Store(true)
	root := t.TempDir()
	fifo := filepath.Join(root, "stuck.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	err := Render(ctx, root, Options{Kind: KindPlain}, &out)
	// let the abandoned render finish if it is waiting: a writer that closes at once gives it EOF
	if w, werr := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); werr == nil {
		w.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) || out.Len() != 0 {
		t.Fatalf("Render = %v, %d bytes; want context.DeadlineExceeded and no output", err, out.Len())
	}
}

package render

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRenderInProcessDeadline checks the path taken when the binary did not call Init: the render
// cannot be interrupted, but Render returns at the deadline with nothing written.
func TestRenderInProcessDeadline(t *testing.T) {
	childReady.Store(false)
	defer childReady.Store(true)
	root := t.TempDir()
	for name, content := range map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"templates/loop.yaml": "{{ range until 5000 }}{{ range until 5000 }}{{ end }}{{ end }}",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	if err := Render(ctx, root, Options{}, &out); !errors.Is(err, context.DeadlineExceeded) || out.Len() != 0 {
		t.Fatalf("Render = %v, %d bytes; want context.DeadlineExceeded and no output", err, out.Len())
	}
}

package archive

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchTree writes about 2,000 files of YAML-like text (about 20 MB) under
// 40 directories and returns their total size.
func benchTree(b *testing.B) (string, int64) {
	b.Helper()
	root := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"apiVersion: v1\n", "kind: ConfigMap\n", "metadata:\n", "  name: ", "  labels:\n", "    app: web\n", "data:\n", "  key: "}
	var total int64
	for i := range 2000 {
		var buf bytes.Buffer
		for buf.Len() < 10_000 {
			buf.WriteString(words[rng.IntN(len(words))])
			fmt.Fprintf(&buf, "%x\n", rng.Uint64())
		}
		p := filepath.Join(root, fmt.Sprintf("dir%02d", i%40), fmt.Sprintf("file%04d.yaml", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(buf.Len())
	}
	return root, total
}

func BenchmarkPack(b *testing.B) {
	root, total := benchTree(b)
	b.ReportAllocs()
	b.SetBytes(total)
	for b.Loop() {
		if _, err := Pack(context.Background(), root, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtract(b *testing.B) {
	root, total := benchTree(b)
	var layer bytes.Buffer
	if _, err := Pack(context.Background(), root, &layer); err != nil {
		b.Fatal(err)
	}
	out := b.TempDir()
	b.ReportAllocs()
	b.SetBytes(total)
	i := 0
	for b.Loop() {
		dst := filepath.Join(out, fmt.Sprint(i))
		if _, err := Extract(context.Background(), bytes.NewReader(layer.Bytes()), dst); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.RemoveAll(dst); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		i++
	}
}

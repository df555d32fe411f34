package archive_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gitless-dev/gitless/pkg/archive"
)

func Example() {
	ctx := context.Background()
	work, err := os.MkdirTemp("", "archive-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)

	src := filepath.Join(work, "app")
	_ = os.MkdirAll(filepath.Join(src, "base"), 0o755)
	_ = os.WriteFile(filepath.Join(src, "base", "deployment.yaml"), []byte("kind: Deployment\n"), 0o600)
	_ = os.WriteFile(filepath.Join(src, "kustomization.yaml"), []byte("resources: [base/deployment.yaml]\n"), 0o644)
	_ = os.WriteFile(filepath.Join(src, "notes.tmp"), []byte("scratch"), 0o644)
	_ = os.WriteFile(filepath.Join(src, ".gitlessignore"), []byte("*.tmp\n"), 0o644)

	var layer bytes.Buffer
	packed, err := archive.Pack(ctx, src, &layer)
	if err != nil {
		log.Fatal(err)
	}

	// In real use the layer is a downloaded blob whose size and digest were
	// checked before it reaches Extract.
	res, err := archive.Extract(ctx, bytes.NewReader(layer.Bytes()), filepath.Join(work, "out"),
		archive.WithLimits(archive.Limits{MaxExtractedSize: 10 << 20}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(packed.Files) == len(res.Files), packed.Size == res.CompressedSize)
	for _, e := range res.Files {
		fmt.Printf("%-7s %v %s\n", e.Type, e.Mode, e.Name)
	}
	// Output:
	// true true
	// file    -rw-r--r-- .gitlessignore
	// dir     -rwxr-xr-x base
	// file    -rw-r--r-- base/deployment.yaml
	// file    -rw-r--r-- kustomization.yaml
}

func ExampleList() {
	var layer bytes.Buffer
	dir, _ := os.MkdirTemp("", "archive-example-")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte("kind: ConfigMap\n"), 0o644)
	if _, err := archive.Pack(context.Background(), dir, &layer, archive.WithPrefix("chart")); err != nil {
		log.Fatal(err)
	}
	entries, err := archive.List(context.Background(), &layer)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Type, e.Name, e.Size)
	}
	// Output:
	// dir chart 0
	// file chart/cm.yaml 16
}

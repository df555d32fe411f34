package artifact_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Publish a directory of plain YAML into an OCI image layout on disk (no registry needed, the way
// artifacts travel to air-gapped zones), then pull it back.
func ExamplePublish() {
	ctx := context.Background()
	tmp, _ := os.MkdirTemp("", "gitless-example-")
	defer os.RemoveAll(tmp)

	ref, _ := registry.ParseReference("oci-layout:" + filepath.Join(tmp, "layout"))
	repo, _ := registry.Options{}.Open(ref)
	pub, err := artifact.Publish(ctx, repo, ref, "../../examples/plain", []string{"1.0.0"}, artifact.PublishOptions{
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "https://example.com/config.git", Revision: "v1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pub.Kind, pub.RenderPath, pub.Tags)

	pulled, err := artifact.Pull(ctx, repo, ref.WithTag("1.0.0"), filepath.Join(tmp, "out"), artifact.MaterializeOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := os.ReadDir(pulled.Dir)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	fmt.Println(pulled.Descriptor.Digest == pub.Digest)
	// Output:
	// plain . [1.0.0]
	// configmap.yaml
	// deployment.yaml
	// service.yaml
	// true
}

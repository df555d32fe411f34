package runtime_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/containerd/platforms"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/signature"
	storagetransport "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
)

// crioImageVolumeMountOptions are the options CRI-O's image-volume code passes to MountImage.
var crioImageVolumeMountOptions = []string{"ro", "noexec", "nosuid", "nodev"}

// TestCRIOImageVolume pulls the default artifact with the libraries CRI-O is built on, as a node of
// each platform would: containers/image copies it from the registry into containers/storage (the
// system context naming the node's OS and architecture), and the image is mounted read-only with
// storage's MountImage and the options CRI-O's image-volume code passes. The mounted tree must be the
// published one. The storage driver is overlay, CRI-O's default. This replays the libraries and the
// call, not CRI-O's server (the overlay mount it then adds for the container is not run).
func TestCRIOImageVolume(t *testing.T) {
	requireRoot(t)
	pub := publish(t, testregistry.Referrers, artifact.PublishImage)
	want := readTree(t, pub.tree)
	for _, p := range nodePlatforms {
		t.Run(platforms.Format(p), func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			store, err := storage.GetStore(storage.StoreOptions{
				RunRoot: filepath.Join(root, "run"), GraphRoot: filepath.Join(root, "graph"), GraphDriverName: "overlay",
			})
			must(t, err)
			t.Cleanup(func() { _, _ = store.Shutdown(true) })
			sys := &types.SystemContext{
				OSChoice: p.OS, ArchitectureChoice: p.Architecture, VariantChoice: p.Variant,
				DockerInsecureSkipTLSVerify: types.OptionalBoolTrue, // plain HTTP on 127.0.0.1
			}
			src, err := docker.ParseReference("//" + pub.Reference)
			must(t, err)
			dst, err := storagetransport.Transport.ParseStoreReference(store, pub.Reference)
			must(t, err)
			policy, err := signature.NewPolicyContext(&signature.Policy{
				Default: signature.PolicyRequirements{signature.NewPRInsecureAcceptAnything()},
			})
			must(t, err)
			defer policy.Destroy()
			_, err = copy.Image(ctx, policy, dst, src, &copy.Options{SourceCtx: sys, DestinationCtx: sys})
			must(t, err)
			img, err := storagetransport.Transport.GetStoreImage(store, dst)
			must(t, err)
			mountPoint, err := store.MountImage(img.ID, crioImageVolumeMountOptions, "")
			must(t, err)
			defer func() { _, _ = store.UnmountImage(img.ID, true) }()
			if d := diffTrees(want, readTree(t, mountPoint), &[2]uint32{0, 0}); d != "" {
				t.Errorf("mounted tree differs from the published one:\n%s", d)
			}
		})
	}
}

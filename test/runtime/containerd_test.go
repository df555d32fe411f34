package runtime_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
)

// nodePlatforms are the node platforms an image volume must mount on. A node's platform is only a
// parameter of containerd's matchers and stores, so both run on any host.
var nodePlatforms = []ocispec.Platform{
	{OS: "linux", Architecture: "amd64"},
	{OS: "linux", Architecture: "arm64", Variant: "v8"},
}

// TestContainerdImageVolume pulls the default (image-shaped) artifact the way containerd's CRI plugin
// does for a Pod's image volume, on amd64 and arm64 nodes, with each unpack matcher the transfer
// service is configured with (the defaults of containerd 2.1 to 2.4 and check_platform_supported), then
// mounts it as CRI's image-volume code does and checks that the mounted tree is the published tree.
func TestContainerdImageVolume(t *testing.T) {
	requireRoot(t)
	for _, kind := range testregistry.Kinds {
		pub := publish(t, kind, artifact.PublishImage)
		want := readTree(t, pub.tree)
		for _, p := range nodePlatforms {
			for _, m := range matchers {
				name := fmt.Sprintf("%s/%s/%s", kind, platforms.Format(p), m.name)
				t.Run(name, func(t *testing.T) {
					n := newNode(t, p, m)
					must(t, n.pull(pub.Reference))
					// Fetched and labelled under every matcher, unpacked or not.
					if src, err := n.distributionSource(pub.Layer.Digest, pub.host); err != nil || src != "platform/volume" {
						t.Errorf("layer in the content store: distribution source %q, %v; want platform/volume", src, err)
					}
					unpacked, err := n.unpackedAtPull(pub.Reference)
					must(t, err)
					// The config says os/architecture unknown: only the match-all unpacker takes it at
					// pull time. The mount path unpacks what the pull left packed (below).
					if wantUnpacked := strings.HasPrefix(m.name, "All"); unpacked != wantUnpacked {
						t.Errorf("unpacked at pull: %v, want %v", unpacked, wantUnpacked)
					}
					target, unmount, err := n.mountImageVolume(pub.Reference, "sandbox-1")
					must(t, err)
					defer unmount()
					if d := diffTrees(want, readTree(t, target), &[2]uint32{0, 0}); d != "" {
						t.Errorf("mounted tree differs from the published one:\n%s", d)
					}
					t.Logf("%s: unpacked at pull %v, mounted tree equal", name, unpacked)
				})
			}
		}
	}
}

// TestContainerdImageVolumeRefusesArtifactForm checks that the --format artifact form (empty config, no
// diff IDs) is pulled but cannot be mounted, which is why --print-volume refuses it.
func TestContainerdImageVolumeRefusesArtifactForm(t *testing.T) {
	requireRoot(t)
	pub := publish(t, testregistry.Referrers, artifact.PublishArtifact)
	n := newNode(t, nodePlatforms[0], matchers[1])
	must(t, n.pull(pub.Reference))
	_, unmount, err := n.mountImageVolume(pub.Reference, "sandbox-1")
	if err == nil {
		unmount()
		t.Fatal("the artifact form mounted; VolumeSnippet's refusal of it is then needless")
	}
	if !strings.Contains(err.Error(), "mismatched image rootfs and manifest layers") {
		t.Errorf("error %v, want containerd's mismatched rootfs error", err)
	}
}

// requireRoot skips without root (fails under GITLESS_RUNTIME=required, as make test-runtime sets it):
// the native snapshotter keeps the layer's owners (chown) and the image volume is a bind mount.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	msg := "needs root to apply layers with their owners and to mount: run as root (CI does), or unset GITLESS_RUNTIME to skip"
	if os.Getenv("GITLESS_RUNTIME") == "required" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

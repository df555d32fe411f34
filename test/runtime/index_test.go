package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/containerd/platforms"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestContainerdImageVolumeIndex measures the alternative to the default shape that was weighed: an
// index over one manifest per platform, all sharing the published layer. Under the strict matcher it
// is unpacked at pull time (the default shape is unpacked at mount time instead), and it mounts the
// same tree; the README says why the default stays one manifest (Argo CD's OCI source and our own
// readers take no index, and the digest users pin would become the index's).
func TestContainerdImageVolumeIndex(t *testing.T) {
	requireRoot(t)
	pub := publish(t, testregistry.Referrers, artifact.PublishImage)
	want := readTree(t, pub.tree)
	indexRef := pushPlatformIndex(t, pub, []ocispec.Platform{
		{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"},
	})
	for _, p := range nodePlatforms {
		for _, m := range matchers {
			name := fmt.Sprintf("%s/%s", platforms.Format(p), m.name)
			t.Run(name, func(t *testing.T) {
				n := newNode(t, p, m)
				must(t, n.pull(indexRef))
				unpacked, err := n.unpackedAtPull(indexRef)
				must(t, err)
				if !unpacked {
					t.Error("the node's entry of the index was not unpacked at pull")
				}
				target, unmount, err := n.mountImageVolume(indexRef, "sandbox-1")
				must(t, err)
				defer unmount()
				if d := diffTrees(want, readTree(t, target), &[2]uint32{0, 0}); d != "" {
					t.Errorf("mounted tree differs from the published one:\n%s", d)
				}
			})
		}
	}
}

// pushPlatformIndex pushes beside pub an OCI index with one manifest per platform, each the published
// manifest with a config that differs only in os/architecture/variant (same layer, same annotations),
// and returns the index's pinned reference.
func pushPlatformIndex(t *testing.T, pub published, plats []ocispec.Platform) string {
	t.Helper()
	ctx := context.Background()
	ref, err := registry.ParseReference(pub.Reference)
	must(t, err)
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	repo, err := opts.Open(ref)
	must(t, err)
	var m ocispec.Manifest
	fetchJSON(t, repo, ocispec.Descriptor{MediaType: pub.MediaType, Digest: pub.Digest, Size: pub.Size}, &m)
	var config ocispec.Image
	fetchJSON(t, repo, m.Config, &config)
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	for _, p := range plats {
		config.Platform = p
		m.Config = pushJSON(t, ctx, repo, ocispec.MediaTypeImageConfig, config)
		desc := pushJSON(t, ctx, repo, ocispec.MediaTypeImageManifest, m)
		desc.Platform = &p
		idx.Manifests = append(idx.Manifests, desc)
	}
	desc := pushJSON(t, ctx, repo, ocispec.MediaTypeImageIndex, idx)
	return ref.WithDigest(desc.Digest).String()
}

func fetchJSON(t *testing.T, repo content.Fetcher, desc ocispec.Descriptor, v any) {
	t.Helper()
	raw, err := content.FetchAll(context.Background(), repo, desc)
	must(t, err)
	must(t, json.Unmarshal(raw, v))
}

func pushJSON(t *testing.T, ctx context.Context, repo oras.Target, mediaType string, v any) ocispec.Descriptor {
	t.Helper()
	raw, err := json.Marshal(v)
	must(t, err)
	desc, err := oras.PushBytes(ctx, repo, mediaType, raw)
	must(t, err)
	return desc
}

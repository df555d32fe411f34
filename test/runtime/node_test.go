package runtime_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/diff"
	"github.com/containerd/containerd/v2/core/diff/apply"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/leases"
	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/core/mount"
	"github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/core/transfer"
	transferimage "github.com/containerd/containerd/v2/core/transfer/image"
	"github.com/containerd/containerd/v2/core/transfer/local"
	transferregistry "github.com/containerd/containerd/v2/core/transfer/registry"
	"github.com/containerd/containerd/v2/core/unpack"
	"github.com/containerd/containerd/v2/pkg/labels"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/rootfs"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/containerd/v2/plugins/snapshots/native"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

const (
	// criNamespace is the containerd namespace the CRI plugin works in.
	criNamespace = "k8s.io"
	// snapshotter is the snapshotter key; CRI's default is overlayfs, native needs no kernel support.
	snapshotter = "native"
	// criManagedLabel is what CRI's getLabels puts on every image it pulls (internal/cri/labels).
	criManagedLabel = "io.cri-containerd.image"
)

// matcher is how the node's transfer service decides which images its unpacker unpacks at pull time.
type matcher struct {
	name string
	// of builds the unpack platform matcher for the node platform.
	of func(node ocispec.Platform) platforms.MatchComparer
}

// matchers: plugins/transfer/plugin.go sets an unpack configuration's target to platforms.Only(p) when
// check_platform_supported is true, else (containerd 2.3 and later) to platforms.OnlyOS(p); containerd
// 2.2 and 2.1 used platforms.All there. OnlyStrict is the stricter matcher other embedders pass.
var matchers = []matcher{
	{"OnlyOS (default since 2.3)", platforms.OnlyOS},
	{"All (default of 2.1, 2.2)", func(ocispec.Platform) platforms.MatchComparer { return platforms.All }},
	{"Only (check_platform_supported)", platforms.Only},
	{"OnlyStrict", platforms.OnlyStrict},
}

// node is an in-process containerd as the CRI plugin wires it for one node platform: bolt metadata,
// a local content store, a native snapshotter, the file-system applier and the local transfer service.
type node struct {
	platform ocispec.Platform
	db       *metadata.DB
	content  content.Store
	images   images.Store
	leases   leases.Manager
	sn       snapshots.Snapshotter
	applier  diff.Applier
	transfer transfer.Transferrer
	root     string
}

func newNode(t *testing.T, platform ocispec.Platform, m matcher) *node {
	t.Helper()
	root := t.TempDir()
	cs, err := contentlocal.NewStore(filepath.Join(root, "content"))
	must(t, err)
	sn, err := native.NewSnapshotter(filepath.Join(root, "snapshots"))
	must(t, err)
	bdb, err := bolt.Open(filepath.Join(root, "meta.db"), 0o644, nil)
	must(t, err)
	t.Cleanup(func() { bdb.Close() })
	db := metadata.NewDB(bdb, cs, map[string]snapshots.Snapshotter{snapshotter: sn})
	must(t, db.Init(context.Background()))
	n := &node{
		platform: platform, db: db, content: db.ContentStore(), images: metadata.NewImageStore(db),
		leases: metadata.NewLeaseManager(db), sn: db.Snapshotter(snapshotter), root: root,
	}
	n.applier = apply.NewFileSystemApplier(n.content)
	n.transfer = local.NewTransferService(n.content, n.images, local.TransferConfig{
		Leases: n.leases,
		UnpackPlatforms: []unpack.Platform{{
			Platform: m.of(platform), SnapshotterKey: snapshotter, Snapshotter: n.sn, Applier: n.applier,
		}},
	})
	return n
}

func (n *node) ctx() context.Context {
	return namespaces.WithNamespace(context.Background(), criNamespace)
}

// pull does what CRI's pullImageWithTransferService does for PullImage(ref) (the default since
// containerd 2.0): an OCI registry source and an image store limited to, and unpacking for, the node
// platform. The registry is plain HTTP on 127.0.0.1.
func (n *node) pull(ref string) error {
	ctx := n.ctx()
	reg, err := transferregistry.NewOCIRegistry(ctx, ref, transferregistry.WithDefaultScheme("http"))
	if err != nil {
		return err
	}
	is := transferimage.NewStore(ref,
		transferimage.WithPlatforms(n.platform),
		transferimage.WithUnpack(n.platform, snapshotter),
		transferimage.WithImageLabels(map[string]string{criManagedLabel: "managed"}))
	if err := n.transfer.Transfer(ctx, reg, is); err != nil {
		return fmt.Errorf("failed to pull and unpack image %q: %w", ref, err)
	}
	return nil
}

// distributionSource is the label the pull puts on every blob it fetched, naming the repositories of a
// registry (its host name, without port) that it came from, for cross-repository reuse.
func (n *node) distributionSource(d digest.Digest, host string) (string, error) {
	info, err := n.content.Info(n.ctx(), d)
	if err != nil {
		return "", err
	}
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		return "", err
	}
	return info.Labels[labels.LabelDistributionSource+"."+name], nil
}

// unpackedAtPull tells whether the pull left a committed snapshot of the image's root file system.
func (n *node) unpackedAtPull(ref string) (bool, error) {
	ctx := n.ctx()
	img, err := n.images.Get(ctx, ref)
	if err != nil {
		return false, err
	}
	diffIDs, err := img.RootFS(ctx, n.content, platforms.Only(n.platform))
	if err != nil {
		return false, err
	}
	_, err = n.sn.Stat(ctx, identity.ChainID(diffIDs).String())
	return err == nil, nil
}

// mountImageVolume replays CRI's mutateImageMount (internal/cri/server/container_image_mount.go) for
// one image volume of a sandbox: a lease named after the sandbox, the image wrapped with
// platforms.Only(node platform), client.Image.Unpack (images.Manifest, RootFS, rootfs.ApplyLayerWithOpts
// per layer), a snapshot prepared on the chain ID, mounted at target. It returns the target and a
// function that unmounts it.
func (n *node) mountImageVolume(ref, sandbox string) (string, func(), error) {
	ctx := n.ctx()
	if _, err := n.leases.Create(ctx, leases.WithID(sandbox)); err != nil {
		return "", nil, err
	}
	ctx = leases.WithLease(ctx, sandbox)
	img, err := n.images.Get(ctx, ref)
	if err != nil {
		return "", nil, fmt.Errorf("failed to get image volume ref %q: %w", ref, err)
	}
	platform := platforms.Only(n.platform)
	chainID, err := n.unpack(ctx, img, platform)
	if err != nil {
		return "", nil, fmt.Errorf("failed to unpack image volume: %w", err)
	}
	target := filepath.Join(n.root, "sandboxes", sandbox, "image-volumes", img.Target.Digest.Encoded())
	mounts, err := n.sn.Prepare(ctx, target, chainID.String())
	if err != nil {
		return "", nil, fmt.Errorf("failed to prepare for image volume %q: %w", ref, err)
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return "", nil, err
	}
	if err := mount.All(mounts, target); err != nil {
		return "", nil, fmt.Errorf("failed to mount image volume component %q: %w", target, err)
	}
	return target, func() { _ = mount.UnmountAll(target, 0) }, nil
}

// unpack is client.(*image).Unpack with its getManifest and getLayers, against the node's stores.
func (n *node) unpack(ctx context.Context, img images.Image, platform platforms.MatchComparer) (digest.Digest, error) {
	manifest, err := images.Manifest(ctx, n.content, img.Target, platform)
	if err != nil {
		return "", err
	}
	// checkSnapshotterSupport: without check_platform_supported (the mount path passes no options) it
	// asks the snapshotter only about a config with os.features; this replay does not model that.
	p, err := images.ConfigPlatform(ctx, n.content, manifest.Config)
	if err != nil {
		return "", err
	}
	if len(p.OSFeatures) > 0 {
		return "", fmt.Errorf("config %s has os.features %v: the snapshotter's platforms would decide", manifest.Config.Digest, p.OSFeatures)
	}
	diffIDs, err := img.RootFS(ctx, n.content, platform)
	if err != nil {
		return "", fmt.Errorf("failed to resolve rootfs: %w", err)
	}
	var layers []ocispec.Descriptor
	for _, l := range manifest.Layers {
		if images.IsLayerType(l.MediaType) {
			layers = append(layers, l)
		}
	}
	if len(diffIDs) != len(layers) {
		return "", fmt.Errorf("mismatched image rootfs and manifest layers (%d diff IDs, %d layers)", len(diffIDs), len(layers))
	}
	var chain []digest.Digest
	for i := range diffIDs {
		layer := rootfs.Layer{Diff: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: diffIDs[i]}, Blob: layers[i]}
		if _, err := rootfs.ApplyLayerWithOpts(ctx, layer, chain, n.sn, n.applier, nil, nil); err != nil {
			return "", fmt.Errorf("apply layer error for %q: %w", img.Name, err)
		}
		chain = append(chain, diffIDs[i])
	}
	return identity.ChainID(chain), nil
}

package e2e

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	utilio "github.com/argoproj/argo-cd/v3/util/io"
	"github.com/argoproj/argo-cd/v3/util/oci"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// argoLayerMediaTypes is argocd-repo-server's default --oci-layer-media-types.
var argoLayerMediaTypes = []string{
	"application/vnd.oci.image.layer.v1.tar",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.cncf.helm.chart.content.v1.tar+gzip",
}

// ociTree is the tree published for Argo CD's OCI client: nested directories, an executable, YAML.
var ociTree = map[string]string{
	"configmap.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: v\n",
	"scripts/run.sh":        "#!/bin/sh\necho extracted\n",
	"data/nested/model.bin": "\x00\x01binary\xff",
}

// TestArgoCDNativeOCIExtract publishes a tree in each form gitless writes for directories and extracts
// it with Argo CD's own OCI client (util/oci, what the repo-server uses for an oci:// source), from
// both registry kinds on 127.0.0.1: the tree Argo CD sees must be the published one, so that a change
// of the artifact's shape cannot break the Argo CD OCI source form. Argo CD writes every file 0644
// (it extracts without preserving modes), so only paths, types and content are compared.
func TestArgoCDNativeOCIExtract(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		for _, format := range []string{artifact.PublishImage, artifact.PublishArtifact} {
			t.Run(string(kind)+"/"+format, func(t *testing.T) {
				ctx := context.Background()
				hub := testregistry.New(t, kind)
				src := t.TempDir()
				for name, data := range ociTree {
					p := filepath.Join(src, filepath.FromSlash(name))
					mustOK(t, os.MkdirAll(filepath.Dir(p), 0o755))
					mustOK(t, os.WriteFile(p, []byte(data), 0o644))
				}
				mustOK(t, os.Chmod(filepath.Join(src, "scripts/run.sh"), 0o755))
				opts := registry.DefaultOptions()
				opts.PlainHTTP = true
				ref, err := registry.ParseReference(hub.Host + "/platform/app:1.0.0")
				mustOK(t, err)
				repo, err := opts.Open(ref)
				mustOK(t, err)
				pub, err := artifact.Publish(ctx, repo, ref, src, []string{"1.0.0"}, artifact.PublishOptions{
					Kind: artifact.KindPlain, Format: format, SkipRenderCheck: true, Created: time.Unix(1700000000, 0),
				})
				mustOK(t, err)

				client, err := oci.NewClient("oci://"+hub.Host+"/platform/app", oci.Creds{InsecureHTTPOnly: true}, "", "",
					argoLayerMediaTypes, oci.WithImagePaths(utilio.NewRandomizedTempPaths(t.TempDir())),
					oci.WithManifestMaxExtractedSize(64<<20), oci.WithEventHandlers(noOCIEvents()))
				mustOK(t, err)
				revision, err := client.ResolveRevision(ctx, "1.0.0", true)
				mustOK(t, err)
				if revision != pub.Digest.String() {
					t.Fatalf("Argo CD resolved 1.0.0 to %s, publish pushed %s", revision, pub.Digest)
				}
				dir, closer, err := client.Extract(ctx, revision)
				mustOK(t, err)
				defer closer.Close()
				if got := filesUnder(t, dir); !reflect.DeepEqual(got, ociTree) {
					t.Errorf("Argo CD extracted %v\nwant the published tree %v", keys(got), keys(ociTree))
				}
			})
		}
	}
}

// TestArgoCDNativeOCIRefusesIndex records why publish writes one manifest and no index: Argo CD's OCI
// client reads the digest it resolves as a manifest and finds no content layer in an index. If Argo CD
// learns to follow an index, this fails, and the choice in the README's image-volume section can be
// weighed again.
func TestArgoCDNativeOCIRefusesIndex(t *testing.T) {
	ctx := context.Background()
	hub := testregistry.New(t, testregistry.Referrers)
	src := t.TempDir()
	mustOK(t, os.WriteFile(filepath.Join(src, "configmap.yaml"), []byte(ociTree["configmap.yaml"]), 0o644))
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	ref, err := registry.ParseReference(hub.Host + "/platform/app:1.0.0")
	mustOK(t, err)
	repo, err := opts.Open(ref)
	mustOK(t, err)
	pub, err := artifact.Publish(ctx, repo, ref, src, []string{"1.0.0"}, artifact.PublishOptions{
		Kind: artifact.KindPlain, SkipRenderCheck: true, Created: time.Unix(1700000000, 0),
	})
	mustOK(t, err)
	entry := ocispec.Descriptor{MediaType: pub.MediaType, Digest: pub.Digest, Size: pub.Size,
		Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}}
	raw, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{entry}})
	mustOK(t, err)
	_, err = oras.TagBytes(ctx, repo, ocispec.MediaTypeImageIndex, raw, "1.0.0-index")
	mustOK(t, err)

	client, err := oci.NewClient("oci://"+hub.Host+"/platform/app", oci.Creds{InsecureHTTPOnly: true}, "", "",
		argoLayerMediaTypes, oci.WithImagePaths(utilio.NewRandomizedTempPaths(t.TempDir())),
		oci.WithEventHandlers(noOCIEvents()))
	mustOK(t, err)
	revision, err := client.ResolveRevision(ctx, "1.0.0-index", true)
	mustOK(t, err)
	_, closer, err := client.Extract(ctx, revision)
	if err == nil {
		closer.Close()
		t.Fatal("Argo CD extracted an index: its OCI source now follows indexes, an index shape may be reconsidered")
	}
	if !strings.Contains(err.Error(), "expected only a single oci content layer, got 0") {
		t.Errorf("error %v, want Argo CD's content-layer count error", err)
	}
}

// noOCIEvents are metrics hooks that do nothing (the repo-server passes its metrics server's).
func noOCIEvents() oci.EventHandlers {
	done := func(string) func() { return func() {} }
	failed := func(string) func(string) { return func(string) {} }
	return oci.EventHandlers{
		OnExtract: done, OnResolveRevision: done, OnDigestMetadata: done, OnTestRepo: done, OnGetTags: done,
		OnExtractFail: failed, OnResolveRevisionFail: failed, OnDigestMetadataFail: failed,
		OnTestRepoFail: done, OnGetTagsFail: done,
	}
}

// filesUnder maps every regular file under root to its content; anything else but directories fails.
func filesUnder(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			t.Errorf("%s: not a regular file (%v)", p, d.Type())
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	mustOK(t, err)
	return out
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things live in the image. argocd-cmp-server reads PluginPath; Argo CD runs the sidecar as UID.
const (
	BinDir     = "/usr/local/bin"
	PluginPath = "/home/argocd/cmp-server/config/plugin.yaml"
	Home       = "/home/argocd"
	UID        = 999
	Entrypoint = BinDir + "/argocd-cmp"
)

// Platform is a target platform of the image.
type Platform struct{ OS, Architecture string }

func (p Platform) String() string { return p.OS + "/" + p.Architecture }

// Spec says what to build.
type Spec struct {
	// Bins are main packages (./argocd-cmp) compiled statically into BinDir under their base names.
	Bins      []string
	Platforms []Platform
	// PluginYAML is the ConfigManagementPlugin file copied to PluginPath.
	PluginYAML string
	// Base is an image reference; empty means the minimal base of base.go.
	Base          string
	BasePlainHTTP bool
	LDFlags       string
	// Version, Source and Revision become org.opencontainers.image.* labels.
	Version, Source, Revision string
	// Epoch is the creation time of the image and every file in it (Unix seconds).
	Epoch int64
	// Layout is the OCI image layout directory written (replaced).
	Layout string
	// Dir is the main module's directory the packages are built in; default the working directory.
	Dir string
}

// Result is what Build made.
type Result struct {
	// Image is the single-platform image, or Index the multi-platform index.
	Image v1.Image
	Index v1.ImageIndex
	// Digest is the digest to pin, sign and verify: the image's, or the index's.
	Digest v1.Hash
	// SBOM is the SPDX document of the Go modules in the binaries of every platform.
	SBOM []byte
	// Created is the creation time of the image, its files and its SBOM.
	Created time.Time
	// Reference is set by Push: repo@digest.
	Reference string
}

// Build compiles the binaries and assembles the image (an index for several platforms), writing it to
// the layout. It has no side effects outside Spec.Layout and a temporary directory.
func Build(ctx context.Context, s Spec) (*Result, error) {
	work, err := os.MkdirTemp("", "imagebuild-*")
	if err != nil {
		return nil, fmt.Errorf("creating a temporary directory: %w", err)
	}
	defer os.RemoveAll(work)
	created := time.Unix(s.Epoch, 0).UTC()
	var adds []mutate.IndexAddendum
	var sboms []binaryInfo
	for _, p := range s.Platforms {
		bins, err := compile(ctx, s, p, filepath.Join(work, p.OS+"_"+p.Architecture))
		if err != nil {
			return nil, err
		}
		img, err := platformImage(ctx, s, p, bins, created)
		if err != nil {
			return nil, fmt.Errorf("assembling the %s image: %w", p, err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: p.OS, Architecture: p.Architecture}}})
		sboms = append(sboms, bins...)
	}
	res := &Result{Created: created}
	if len(adds) == 1 {
		res.Image = adds[0].Add.(v1.Image)
		res.Digest, err = res.Image.Digest()
	} else {
		res.Index = mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
		res.Digest, err = res.Index.Digest()
	}
	if err != nil {
		return nil, fmt.Errorf("computing the image digest: %w", err)
	}
	if res.SBOM, err = spdxDocument(s, sboms, res.Digest, created); err != nil {
		return nil, err
	}
	return res, writeLayout(s.Layout, res)
}

// binaryInfo is one compiled binary.
type binaryInfo struct {
	Name     string
	Path     string // on this machine
	Platform Platform
}

// compile builds each main package statically for p into dir. -trimpath and -buildvcs=false keep
// paths and the checkout's state out of the binary, so the same commit gives the same bytes.
func compile(ctx context.Context, s Spec, p Platform, dir string) ([]binaryInfo, error) {
	var out []binaryInfo
	for _, pkg := range s.Bins {
		b := binaryInfo{Name: path.Base(pkg), Path: filepath.Join(dir, path.Base(pkg)), Platform: p}
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", s.LDFlags, "-o", b.Path, pkg)
		cmd.Dir = s.Dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture, "GOFLAGS=")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building %s for %s: %w\n%s", pkg, p, err, msg)
		}
		out = append(out, b)
	}
	return out, nil
}

func platformImage(ctx context.Context, s Spec, p Platform, bins []binaryInfo, created time.Time) (v1.Image, error) {
	base, err := baseImage(ctx, s, p, created)
	if err != nil {
		return nil, err
	}
	app, err := appLayer(s, bins, created)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: app, MediaType: types.OCILayer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "gitless imagebuild: " + fmt.Sprint(s.Bins) + " and plugin.yaml", Comment: "gitless"}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: created}
	cf.OS, cf.Architecture = p.OS, p.Architecture
	cf.Config.User = strconv.Itoa(UID)
	cf.Config.Entrypoint = []string{Entrypoint}
	cf.Config.Cmd = nil
	cf.Config.WorkingDir = Home
	cf.Config.Env = setEnv(cf.Config.Env, "PATH="+BinDir+":/usr/bin:/bin", "HOME="+Home)
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	setLabel(cf.Config.Labels, "org.opencontainers.image.source", s.Source)
	setLabel(cf.Config.Labels, "org.opencontainers.image.revision", s.Revision)
	setLabel(cf.Config.Labels, "org.opencontainers.image.version", s.Version)
	setLabel(cf.Config.Labels, "org.opencontainers.image.title", "gitless argocd-cmp sidecar")
	return mutate.ConfigFile(img, cf)
}

func baseImage(ctx context.Context, s Spec, p Platform, created time.Time) (v1.Image, error) {
	if s.Base == "" {
		return minimalBase(created)
	}
	var opts []name.Option
	if s.BasePlainHTTP {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s.Base, opts...)
	if err != nil {
		return nil, fmt.Errorf("base %q: %w (give a reference such as gcr.io/distroless/static:nonroot)", s.Base, err)
	}
	img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithPlatform(v1.Platform{OS: p.OS, Architecture: p.Architecture}))
	if err != nil {
		return nil, fmt.Errorf("pulling the base %s for %s: %w", s.Base, p, err)
	}
	return mutate.MediaType(mutate.ConfigMediaType(img, types.OCIConfigJSON), types.OCIManifestSchema1), nil
}

func setEnv(env []string, kvs ...string) []string {
	out := append([]string(nil), env...)
	for _, kv := range kvs {
		k := key(kv)
		replaced := false
		for i, e := range out {
			if key(e) == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func key(kv string) string {
	for i := range kv {
		if kv[i] == '=' {
			return kv[:i]
		}
	}
	return kv
}

func setLabel(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}

package main

import (
	"archive/tar"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/registry"
)

const testVersion = "v9.9.9-test"

func testSpec(t *testing.T) Spec {
	return Spec{
		Bins:       []string{"./argocd-cmp", "./gitless-render", "./gitless-render-helm", "./gitless-verify", "./kubectl-gitless"},
		Platforms:  []Platform{{"linux", "amd64"}},
		PluginYAML: "../../../manifests/sidecar/plugin.yaml",
		LDFlags:    "-s -w -X github.com/gitless-dev/gitless/pkg/version.Version=" + testVersion + " -X github.com/gitless-dev/gitless/kubectl-gitless/cmd/options.Version=" + testVersion,
		Version:    testVersion, Revision: "0123456789abcdef", Source: "https://github.com/gitless-dev/gitless",
		Epoch:  1700000000,
		Dir:    "../../..",
		Layout: filepath.Join(t.TempDir(), "layout"),
	}
}

var (
	builtOnce sync.Once
	built     *Result
	builtErr  error
)

// buildOnce builds the test image once for the package: compiling two binaries is the slow part.
func buildOnce(t *testing.T) *Result {
	t.Helper()
	builtOnce.Do(func() { built, builtErr = Build(context.Background(), testSpec(t)) })
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return built
}

func TestImageConfig(t *testing.T) {
	cf, err := buildOnce(t).Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "999" {
		t.Errorf("user %q, want 999 (Argo CD runs sidecars as the argocd user)", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/argocd-cmp"}) || c.Cmd != nil {
		t.Errorf("entrypoint %q cmd %q, want [/usr/local/bin/argocd-cmp] and no cmd", c.Entrypoint, c.Cmd)
	}
	for _, want := range []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/argocd"} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("env %q lacks %s (argocd-cmp-server runs `argocd-cmp` from PATH)", c.Env, want)
		}
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if c.Labels["org.opencontainers.image.version"] != testVersion || c.Labels["org.opencontainers.image.revision"] != "0123456789abcdef" {
		t.Errorf("labels %v lack the version and revision", c.Labels)
	}
	if got := cf.Created.Unix(); got != 1700000000 {
		t.Errorf("created %d, want the epoch 1700000000", got)
	}
}

// TestImageFiles reads the flattened root file system: the files, their owners and modes, no shell.
func TestImageFiles(t *testing.T) {
	files := map[string]*tar.Header{}
	rc := mutate.Extract(buildOnce(t).Image)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files["/"+strings.TrimSuffix(h.Name, "/")] = h
		if h.Name == strings.TrimPrefix(PluginPath, "/") {
			got, _ := io.ReadAll(tr)
			want, _ := os.ReadFile("../../../manifests/sidecar/plugin.yaml")
			if string(got) != string(want) {
				t.Errorf("%s differs from manifests/sidecar/plugin.yaml", PluginPath)
			}
		}
		if h.Name == strings.TrimPrefix(CABundle, "/") {
			pem, _ := io.ReadAll(tr)
			if pool := x509.NewCertPool(); !pool.AppendCertsFromPEM(pem) || len(pem) < 100_000 {
				t.Errorf("%s holds %d bytes of PEM, want the NSS roots", CABundle, len(pem))
			}
		}
	}
	want := map[string]struct {
		mode     int64
		uid, gid int
	}{
		"/usr/local/bin/argocd-cmp":          {0o755, 0, 0},
		"/usr/local/bin/gitless-render":      {0o755, 0, 0},
		"/usr/local/bin/gitless-render-helm": {0o755, 0, 0},
		"/usr/local/bin/gitless-verify":      {0o755, 0, 0},
		"/usr/local/bin/kubectl-gitless":     {0o755, 0, 0},
		PluginPath:                           {0o644, 0, 0},
		"/etc/passwd":                        {0o644, 0, 0},
		"/etc/group":                         {0o644, 0, 0},
		CABundle:                             {0o644, 0, 0},
		"/home/argocd":                       {0o755, 999, 999},
		"/tmp":                               {0o1777, 0, 0},
	}
	for name, w := range want {
		h, ok := files[name]
		if !ok {
			t.Errorf("%s missing from the image", name)
			continue
		}
		if h.Mode != w.mode || h.Uid != w.uid || h.Gid != w.gid {
			t.Errorf("%s: mode %o uid %d gid %d, want %o %d %d", name, h.Mode, h.Uid, h.Gid, w.mode, w.uid, w.gid)
		}
	}
	for _, sh := range []string{"/bin/sh", "/bin/bash", "/bin/busybox", "/usr/bin/sh"} {
		if _, ok := files[sh]; ok {
			t.Errorf("%s is in the image: the sidecar needs no shell", sh)
		}
	}
	if len(files) > 20 {
		t.Errorf("%d entries in the image, want only the binaries, plugin.yaml and the minimal base", len(files))
	}
}

// TestImageRuns runs the binaries from the extracted root file system.
func TestImageRuns(t *testing.T) {
	root := t.TempDir()
	extract(t, buildOnce(t).Image, root)
	for _, bin := range []string{"argocd-cmp", "gitless-render", "gitless-render-helm", "gitless-verify", "kubectl-gitless"} {
		out, err := exec.Command(filepath.Join(root, "usr/local/bin", bin), "version").CombinedOutput()
		if err != nil || !strings.Contains(string(out), testVersion) {
			t.Errorf("%s version: %v\n%s", bin, err, out)
		}
	}
	passwd, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
	if err != nil || !strings.Contains(string(passwd), "argocd:x:999:999:") {
		t.Errorf("/etc/passwd has no argocd user 999: %v\n%s", err, passwd)
	}
}

// TestImageReproducible builds the image a second time, elsewhere: the same digest.
func TestImageReproducible(t *testing.T) {
	first := buildOnce(t)
	again, err := Build(context.Background(), testSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != first.Digest {
		t.Errorf("second build %s, first %s: the build is not reproducible", again.Digest, first.Digest)
	}
	if string(again.SBOM) != string(first.SBOM) {
		t.Error("the SBOM differs between two builds")
	}
}

// TestImagePushSBOM pushes to a registry with the referrers API and finds the SBOM among the image's
// referrers, naming the Go modules linked in.
func TestImagePushSBOM(t *testing.T) {
	res := buildOnce(t)
	reg := testregistry.New(t, testregistry.Referrers)
	ctx := context.Background()
	spec := testSpec(t) // the layout of buildOnce belonged to another test's temporary directory
	if err := writeLayout(spec.Layout, res); err != nil {
		t.Fatal(err)
	}
	pinned, err := Push(ctx, res, spec.Layout, reg.Host+"/gitless/argocd-cmp:test", true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(pinned, "@"+res.Digest.String()) {
		t.Errorf("pushed %s, want @%s", pinned, res.Digest)
	}
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	repo, err := opts.Remote(reg.Host + "/gitless/argocd-cmp")
	if err != nil {
		t.Fatal(err)
	}
	// ggcr's registry ignores the artifactType filter and reports the config's media type, so the
	// referrers are listed unfiltered and the SBOM is recognised by its manifest's artifactType.
	var refs []ocispec.Descriptor
	err = repo.Referrers(ctx, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digestOf(res.Digest)}, "",
		func(r []ocispec.Descriptor) error { refs = append(refs, r...); return nil })
	if err != nil || len(refs) != 1 {
		t.Fatalf("referrers of the image: %v, %d found, want the SBOM", err, len(refs))
	}
	raw, err := content.FetchAll(ctx, repo, refs[0])
	must(t, err)
	var m ocispec.Manifest
	must(t, json.Unmarshal(raw, &m))
	if m.ArtifactType != MediaTypeSPDX || len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeSPDX {
		t.Fatalf("referrer %s: artifactType %q, layers %v; want the SPDX SBOM", refs[0].Digest, m.ArtifactType, m.Layers)
	}
	sbom, err := content.FetchAll(ctx, repo, m.Layers[0])
	must(t, err)
	if string(sbom) != string(res.SBOM) {
		t.Error("the pushed SBOM differs from the built one")
	}
	var doc spdxDoc
	if err := json.Unmarshal(res.SBOM, &doc); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range doc.Packages {
		names[p.Name] = true
	}
	for _, m := range []string{"argocd-cmp", "kubectl-gitless", "github.com/sigstore/cosign/v2", "helm.sh/helm/v3", "sigs.k8s.io/kustomize/api"} {
		if !names[m] {
			t.Errorf("the SBOM has no package %s", m)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-platform", "windows/amd64"}, {"-platform", "amd64"}, {"-bin", ""}, {"extra"}} {
		if _, _, _, err := parseFlags(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	s, _, _, err := parseFlags([]string{"-bin", "./argocd-cmp,./kubectl-gitless,./cmd/render", "-platform", "linux/amd64,linux/arm64"})
	if err != nil || len(s.Bins) != 3 || len(s.Platforms) != 2 {
		t.Errorf("bins %v platforms %v: %v", s.Bins, s.Platforms, err)
	}
}

func extract(t *testing.T, img v1.Image, root string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			must(t, os.MkdirAll(p, 0o755))
		case tar.TypeReg:
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			data, err := io.ReadAll(tr)
			must(t, err)
			must(t, os.WriteFile(p, data, os.FileMode(h.Mode)&0o777))
		default:
			t.Fatalf("%s: unexpected entry type %c", h.Name, h.Typeflag)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

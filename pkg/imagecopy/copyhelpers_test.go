package imagecopy_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	ggcrremote "github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/peers"
	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

var testPlatforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}, {OS: "linux", Architecture: "s390x"}}

// pushIndex pushes a random multi-platform image (one manifest per testPlatforms entry, each with the
// shared base layer plus its own) to repository:tag and returns the lock entry for it.
func pushIndex(t testing.TB, repository, tag string, base v1.Layer) images.Image {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range testPlatforms {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, base); err != nil {
			t.Fatal(err)
		}
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref, err := name.ParseReference(repository+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := ggcrremote.WriteIndex(ref, idx); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return images.Image{Ref: repository + ":" + tag, Name: repository, Tag: tag, Digest: d.String(),
		MediaType: string(types.OCIImageIndex), Platforms: []string{"linux/amd64", "linux/arm64/v8", "linux/s390x"}}
}

func baseLayer(t testing.TB) v1.Layer {
	t.Helper()
	l, err := random.Layer(4096, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// cosignCLI runs bin/cosign offline (private HOME and TUF_ROOT).
type cosignCLI struct {
	bin, home string
	key       *sigtest.KeyPair
	emptyRoot string
}

func newCosign(t testing.TB) *cosignCLI {
	t.Helper()
	c := &cosignCLI{bin: peers.Bin(t, "cosign"), home: t.TempDir()}
	c.key = sigtest.NewKeyPair(t, t.TempDir(), "images")
	c.emptyRoot = filepath.Join(c.home, "empty-trusted-root.json")
	if err := os.WriteFile(c.emptyRoot, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cosignCLI) run(args ...string) (string, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.home
	cmd.Env = append(os.Environ(), "HOME="+c.home, "TUF_ROOT="+filepath.Join(c.home, "tuf"), "COSIGN_PASSWORD="+string(c.key.Pass))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// signBoth signs ref (name@digest) with the cosign CLI in both storage forms.
func (c *cosignCLI) signBoth(t testing.TB, ref string) {
	t.Helper()
	for _, extra := range [][]string{nil, {"--new-bundle-format"}} {
		args := append([]string{"sign", "--key", c.key.Priv, "--tlog-upload=false", "-y", "--allow-insecure-registry", "--allow-http-registry"}, extra...)
		if out, err := c.run(append(args, ref)...); err != nil {
			t.Fatalf("cosign sign %v %s: %v\n%s", extra, ref, err, out)
		}
	}
}

// verify runs `cosign verify` on ref as a zone user would: the bundle with the authority-less root.
func (c *cosignCLI) verify(ref string) (string, error) {
	return c.run("verify", "--key", c.key.Pub, "--insecure-ignore-tlog=true", "--allow-insecure-registry", "--allow-http-registry",
		"--new-bundle-format", "--trusted-root", c.emptyRoot, ref)
}

// attachSBOM attaches an SPDX document to ref with `oras attach`.
func attachSBOM(t testing.TB, ref string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sbom.spdx.json"), []byte(`{"spdxVersion":"SPDX-2.3","name":"`+ref+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	peers.Run(t, dir, nil, "oras", "attach", "--plain-http", "--artifact-type", "application/spdx+json", ref, "sbom.spdx.json:application/spdx+json")
}

// hubImages pushes n signed multi-platform images with an SBOM each to hub and returns their lock.
func hubImages(t testing.TB, hub *testregistry.Registry, c *cosignCLI, n int) images.Lock {
	t.Helper()
	base := baseLayer(t)
	var lock images.Lock
	for i := range n {
		im := pushIndex(t, fmt.Sprintf("%s/acme/app%d", hub.Host, i), "1.0", base)
		ref := im.Name + "@" + im.Digest
		if c != nil {
			c.signBoth(t, ref)
			attachSBOM(t, ref)
		}
		lock.Images = append(lock.Images, im)
	}
	return lock
}

// writes counts requests that change a registry, and all requests.
type writes struct{ writes, all atomic.Int64 }

func (w *writes) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.all.Add(1)
		switch r.Method {
		case http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete:
			w.writes.Add(1)
		}
		next.ServeHTTP(rw, r)
	})
}

func testOptions() registry.Options {
	o := registry.DefaultOptions()
	o.PlainHTTP = true
	o.MaxRetries = 0
	return o
}

// remoteOpener opens image names as remote repositories; zoneOpener opens them under prefix.
func remoteOpener(t testing.TB) imagecopy.Opener {
	return func(n string) (registry.Repository, error) { return testOptions().Remote(n) }
}

func zoneDest(prefix string) imagecopy.Destination {
	return imagecopy.Destination{Name: prefix, Open: func(n string) (registry.Repository, error) {
		return testOptions().Remote(images.MirrorName(prefix, n))
	}}
}

// fetchBytes reads desc's bytes by digest from the repository named repository.
func fetchBytes(t testing.TB, repository, dgst string) []byte {
	t.Helper()
	repo, err := testOptions().Remote(repository)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	desc, err := repo.Resolve(ctx, dgst)
	if err != nil {
		t.Fatalf("resolving %s@%s: %v", repository, dgst, err)
	}
	b, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		t.Fatalf("fetching %s@%s: %v", repository, dgst, err)
	}
	return b
}

func hostPath(ref string) string { return strings.TrimPrefix(ref, "http://") }

// startDistribution runs the CNCF Distribution registry binary (bin/registry) on 127.0.0.1 with extra
// top-level configuration, until the test ends, and returns its host:port.
func startDistribution(t testing.TB, extra string) string {
	t.Helper()
	bin := peers.Bin(t, "registry")
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n%s",
		filepath.Join(dir, "data"), addr, extra)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 200 {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("registry did not start:\n%s", logs.String())
	return ""
}

// countingProxy puts w's counting in front of the registry at addr and returns the proxy's host.
func countingProxy(t testing.TB, addr string, w *writes) string {
	t.Helper()
	u, _ := url.Parse("http://" + addr)
	srv := httptest.NewServer(w.middleware(httputil.NewSingleHostReverseProxy(u)))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

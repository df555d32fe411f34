// Package krew_test checks the release path: scripts/dist.sh (make dist) builds a reproducible archive
// and fills the krew manifest, krew installs the plugin offline from that manifest and archive, and
// kubectl finds it through its plugin discovery. The test builds this machine's platform only;
// `make dist` builds all six.
package krew_test

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/internal/peers"
)

const version = "v0.1.0"

func TestKrewInstallFromDist(t *testing.T) {
	krew, kubectl := peers.Bin(t, "krew"), peers.Bin(t, "kubectl")
	dist := distOnce(t)
	name := fmt.Sprintf("kubectl-gitless_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
	archive := filepath.Join(dist, name)

	root, home := t.TempDir(), t.TempDir()
	// kubectl alone in its PATH directory: the directory it was found in (bin/) may also hold a
	// kubectl-gitless from make build, which kubectl would list as a second, shadowed plugin.
	kubectlDir := t.TempDir()
	if err := os.Symlink(kubectl, filepath.Join(kubectlDir, "kubectl")); err != nil {
		t.Fatal(err)
	}
	kubectl = filepath.Join(kubectlDir, "kubectl")
	env := append(os.Environ(), "KREW_ROOT="+root, "HOME="+home, "KREW_NO_UPGRADE_CHECK=1",
		"PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+kubectlDir)
	run(t, env, krew, "install", "--manifest="+filepath.Join(dist, "gitless.yaml"), "--archive="+archive)

	out := run(t, env, kubectl, "gitless", "version")
	if !strings.Contains(out, version) {
		t.Errorf("kubectl gitless version printed %q, want %s", out, version)
	}
	out = run(t, env, kubectl, "plugin", "list", "--name-only")
	if !strings.Contains(out, "kubectl-gitless") {
		t.Errorf("kubectl plugin list lacks kubectl-gitless:\n%s", out)
	}
	// krew links only bin onto PATH; the completion helper stays in the plugin's store directory.
	helper := filepath.Join(root, "store", "gitless", version, "kubectl_complete-gitless")
	if fi, err := os.Stat(helper); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("krew did not install the completion helper %s: %v", helper, err)
	}
}

// TestDist checks the archive's entries and the manifest's uri and sha256, and that a second run gives
// the same bytes.
func TestDist(t *testing.T) {
	dist := distOnce(t)
	name := fmt.Sprintf("kubectl-gitless_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
	archive := filepath.Join(dist, name)
	sum := sha256File(t, archive)

	entries := tarEntries(t, archive)
	want := map[string]int64{"kubectl-gitless": 0o755, "kubectl_complete-gitless": 0o755, "LICENSE": 0o644}
	if len(entries) != len(want) {
		t.Errorf("archive entries %v, want %v", entries, want)
	}
	for n, mode := range want {
		if h, ok := entries[n]; !ok || h.Mode != mode || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: %+v, want mode %o owned by 0", n, h, mode)
		}
	}

	checksums, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil || !strings.Contains(string(checksums), sum+"  "+name) {
		t.Errorf("checksums.txt lacks %s  %s: %v\n%s", sum, name, err, checksums)
	}

	var m struct {
		Spec struct {
			Version   string `json:"version"`
			Platforms []struct {
				URI    string `json:"uri"`
				SHA256 string `json:"sha256"`
				Bin    string `json:"bin"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	raw, err := os.ReadFile(filepath.Join(dist, "gitless.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Spec.Version != version || len(m.Spec.Platforms) != 1 {
		t.Fatalf("manifest version %q with %d platforms, want %s and the one built:\n%s", m.Spec.Version, len(m.Spec.Platforms), version, raw)
	}
	p := m.Spec.Platforms[0]
	if p.URI != "https://releases.example.com/"+version+"/"+name || p.SHA256 != sum {
		t.Errorf("manifest platform uri %s sha256 %s, want BASE_URL/%s and %s", p.URI, p.SHA256, name, sum)
	}

	again := runDist(t)
	if got := sha256File(t, filepath.Join(again, name)); got != sum {
		t.Errorf("a second make dist gave %s, the first %s: the archive is not reproducible", got, sum)
	}
}

var (
	once    sync.Once
	onceDir string
	onceErr error
)

// distOnce runs scripts/dist.sh once for the package (a build of kubectl-gitless each time) into a
// directory removed when the package's tests end (TestMain).
func distOnce(t *testing.T) string {
	t.Helper()
	once.Do(func() {
		onceDir, onceErr = os.MkdirTemp("", "gitless-dist-*")
		if onceErr == nil {
			onceErr = dist(onceDir)
		}
	})
	if onceErr != nil {
		t.Fatal(onceErr)
	}
	return onceDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if onceDir != "" {
		os.RemoveAll(onceDir)
	}
	os.Exit(code)
}

// runDist runs scripts/dist.sh for this machine's platform into a temporary directory.
func runDist(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := dist(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func dist(dir string) error {
	cmd := exec.Command("bash", "scripts/dist.sh")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH, "VERSION="+version,
		"BASE_URL=https://releases.example.com/"+version, "DIST="+dir, "SOURCE_DATE_EPOCH=1700000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/dist.sh: %v\n%s", err, out)
	}
	return nil
}

func run(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func tarEntries(t *testing.T, path string) map[string]*tar.Header {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = h
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

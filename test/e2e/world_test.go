package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// The real-plugin cases drive real peers: CNCF Distribution's `registry` process on 127.0.0.1 (no
// referrers API, so signatures travel by the referrers tag schema), the kubectl-gitless CLI to publish,
// sign and replicate, and oras for foreign artifacts. `make e2e` installs and builds them into bin/.

// peerBin finds a binary of bin/ (or GITLESS_BIN_DIR); missing peers skip unless GITLESS_PEERS=required.
func peerBin(t *testing.T, name string) string {
	t.Helper()
	for _, dir := range []string{os.Getenv("GITLESS_BIN_DIR"), filepath.Join(mainModule, "bin")} {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	if os.Getenv("GITLESS_PEERS") == "required" {
		t.Fatalf("%s not found in bin/: run make build tools", name)
	}
	t.Skipf("%s not found in bin/ (make build tools)", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startRegistryProcess runs a CNCF Distribution registry on 127.0.0.1 until the test ends.
func startRegistryProcess(t *testing.T) string {
	t.Helper()
	bin := peerBin(t, "registry")
	dir := t.TempDir()
	addr := freePort(t)
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\n"+
		"storage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n", filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for range 100 {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("registry did not start: %s", logs.String())
	return ""
}

// proxy fronts a registry on another 127.0.0.1 port; mode changes what it does to blob downloads.
type proxy struct {
	Host string
	mode atomic.Value // "", "lie", "stall", "down"
	only atomic.Value // with "lie": corrupt only blobs whose path contains this (a layer digest)
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{}
	p.mode.Store("")
	p.only.Store("")
	u, _ := url.Parse("http://" + target)
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if p.mode.Load() != "lie" || resp.Request.Method != http.MethodGet || !strings.Contains(resp.Request.URL.Path, "/blobs/") ||
			!strings.Contains(resp.Request.URL.Path, p.only.Load().(string)) {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if len(b) > 0 {
			b[len(b)/2] ^= 0xff // same length, other bytes
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p.mode.Load() {
		case "stall":
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Minute):
			}
			return
		case "down":
			hj, ok := w.(http.Hijacker)
			if ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
			return
		}
		rp.ServeHTTP(w, r)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.Host = l.Addr().String()
	return p
}

func (p *proxy) set(mode string) { p.mode.Store(mode) }

// world is a hub and a zone registry with the examples published, signed and replicated.
type world struct {
	t         *testing.T
	hub, zone string
	keys      string // directory holding cosign.pub
	env       []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, hub: startRegistryProcess(t), zone: startRegistryProcess(t), keys: t.TempDir()}
	w.env = append(os.Environ(), "COSIGN_PASSWORD=e2e", "DOCKER_CONFIG="+t.TempDir())
	w.kg("generate-key-pair", "--output-key-prefix", filepath.Join(w.keys, "cosign"))
	return w
}

// kg runs kubectl-gitless and returns its stdout.
func (w *world) kg(args ...string) string {
	w.t.Helper()
	return w.run(peerBin(w.t, "kubectl-gitless"), args...)
}

func (w *world) run(bin string, args ...string) string {
	w.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = w.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		w.t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// publish publishes dir to the hub as repo:tag (signed unless sign is false), replicates it to the zone
// and returns the pinned hub reference.
func (w *world) publish(dir, repo, tag string, sign bool) string {
	w.t.Helper()
	args := []string{"publish", dir, w.hub + "/" + repo + ":" + tag, "--plain-http", "-q", "--images=off"} // the examples name public images
	if sign {
		args = append(args, "--sign", "--key", filepath.Join(w.keys, "cosign.key"))
	}
	pinned := strings.Split(w.kg(args...), "\n")[0]
	w.kg("copy", w.hub+"/"+repo+":"+tag, w.zone+"/"+repo, "--plain-http")
	return pinned
}

// config is a sidecar config: hub with mirror (the zone, or a proxy in front of something) and policies.
func (w *world) config(hub, mirror, keysDir, extra string) string {
	mirrors := ""
	if mirror != "" {
		mirrors = fmt.Sprintf("\n    mirrors: [{host: %q, plainHTTP: true}]", mirror)
	}
	return fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %q
    plainHTTP: true%s
policies:
  - match: "%s/platform/**"
    keys: [%q]
%s`, hub, mirrors, hub, keysDir, extra)
}

func examplesDir(name string) string {
	p, _ := filepath.Abs(filepath.Join(mainModule, "examples", name))
	return p
}

// objects parses manifests (YAML or JSON documents) into a sorted list of canonical JSON strings.
func objects(t *testing.T, docs []string) []string {
	t.Helper()
	var out []string
	for _, d := range docs {
		for _, part := range strings.Split(d, "\n---\n") {
			if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "---")) == "" {
				continue
			}
			var m map[string]any
			if err := yaml.Unmarshal([]byte(part), &m); err != nil {
				t.Fatalf("parsing manifest: %v\n%s", err, part)
			}
			b, _ := yaml.Marshal(m)
			out = append(out, string(b))
		}
	}
	sort.Strings(out)
	return out
}

func names(objs []string) string {
	var n []string
	for _, o := range objs {
		var m struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = yaml.Unmarshal([]byte(o), &m)
		n = append(n, m.Kind+"/"+m.Metadata.Name)
	}
	return strings.Join(n, ", ")
}

func (w *world) runIn(dir, bin string, args ...string) {
	w.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, w.env
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

package zones

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// World is the hub registry and the zones, all processes of this machine on 127.0.0.1.
type World struct {
	// Dir holds every process's data and log (<zone>/<process>.log).
	Dir string
	// BinDir holds the binaries (bin/ of the repository).
	BinDir string
	// Hub is the hub registry ("127.0.0.1:port").
	Hub   *Registry
	Zones []*Zone
	// Kubeconfig has one context per zone, named after it.
	Kubeconfig string
	// Keys holds cosign.key/cosign.pub (password "zones"), the key every zone's policy trusts.
	Keys string
	// Image is the application's container image on the hub (HOST/library/web:1.0, an index over
	// linux/amd64 and linux/arm64): publish locks it, copy --images takes it to each zone's mirror/.
	Image string

	procs         procs
	redisServer   string
	pluginYAML    string
	argoManifests string
}

// Zone is one cluster with its Argo CD, its sidecar and its registry.
type Zone struct {
	Name string
	Dir  string
	// Registry is the zone's registry, an untrusted mirror of the hub.
	Registry *Registry
	// Server is the kube-apiserver URL; Kubeconfig a file with one context named after the zone.
	Server, Kubeconfig string
	// GitlessConfig is the sidecar's config file (GITLESS_CONFIG).
	GitlessConfig string
	Dynamic       dynamic.Interface

	w         *World
	rest      *rest.Config
	etcdURL   string
	redis     string
	pluginDir string
}

// Registry is a CNCF Distribution process; Stop and Start keep its port and its storage.
type Registry struct {
	Host string
	Dir  string
	w    *World
	p    *proc
}

// Options says where the world finds its parts.
type Options struct {
	Dir, BinDir, RepoRoot string
	Zones                 []string
}

// Start starts the hub and the zones. On error everything started is stopped.
func Start(ctx context.Context, o Options) (_ *World, err error) {
	w := &World{Dir: o.Dir, BinDir: o.BinDir, Keys: filepath.Join(o.Dir, "keys"),
		pluginYAML:    filepath.Join(o.RepoRoot, "manifests", "sidecar", "plugin.yaml"),
		argoManifests: filepath.Join(o.BinDir, "argocd-manifests")}
	defer func() {
		if err != nil {
			w.Stop()
		}
	}()
	if err := w.findParts(); err != nil {
		return nil, err
	}
	if w.Hub, err = w.startRegistry(ctx, "hub"); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(w.Keys, 0o755); err != nil {
		return nil, err
	}
	if _, err := w.Gitless("generate-key-pair", "--output-key-prefix", filepath.Join(w.Keys, "cosign")); err != nil {
		return nil, err
	}
	w.Image = w.Hub.Host + "/library/web:1.0"
	if err := pushImage(w.Image); err != nil {
		return nil, fmt.Errorf("pushing the application image: %w", err)
	}
	for _, name := range o.Zones {
		z, err := w.startZone(ctx, name)
		if err != nil {
			return nil, err
		}
		w.Zones = append(w.Zones, z)
	}
	return w, w.writeKubeconfig()
}

// findParts checks that every binary is there before anything starts.
func (w *World) findParts() error {
	var missing []string
	for _, b := range []string{"etcd", "kube-apiserver", "argocd", "argocd-cmp", "gitless-verify", "gitless-render", "gitless-render-helm", "kubectl-gitless", "registry"} {
		if _, err := os.Stat(w.bin(b)); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s not in %s: run scripts/zones-build.sh (make e2e-zones does)", ErrMissing, strings.Join(missing, ", "), w.BinDir)
	}
	var err error
	if w.redisServer, err = exec.LookPath("redis-server"); err != nil {
		return fmt.Errorf("%w: redis-server not on PATH: run scripts/zones-build.sh (it installs the Debian package)", ErrMissing)
	}
	return nil
}

// ErrMissing says a binary of the world is not installed.
var ErrMissing = errors.New("world incomplete")

func (w *World) bin(name string) string { return filepath.Join(w.BinDir, name) }

func (w *World) startZone(ctx context.Context, name string) (*Zone, error) {
	z := &Zone{Name: name, Dir: filepath.Join(w.Dir, name), w: w}
	if err := os.MkdirAll(z.Dir, 0o755); err != nil {
		return nil, err
	}
	var err error
	if z.Registry, err = w.startRegistry(ctx, name+"-registry"); err != nil {
		return nil, err
	}
	if err := z.writeGitlessConfig(); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{z.startEtcd, z.startAPIServer, z.bootstrap, z.startRedis, z.startSidecar, z.startArgoCD}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("zone %s: %w", name, err)
		}
	}
	return z, nil
}

// ImagesMirror is where the zone keeps its copies of the images (copy --images; the sidecar's images.mirror).
func (z *Zone) ImagesMirror() string { return z.Registry.Host + "/mirror" }

// pushImage pushes a small random image index (linux/amd64, linux/arm64) to ref over plain HTTP.
func pushImage(ref string) error {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(512, 1)
		if err != nil {
			return err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	return remote.WriteIndex(r, idx)
}

// writeGitlessConfig is the zone sidecar's config: the hub with the zone registry as its mirror (tried
// first; tags from it believed for mirrorTagFreshness when the hub is down), one policy for the hub's
// platform/ repositories.
func (z *Zone) writeGitlessConfig() error {
	z.GitlessConfig = filepath.Join(z.Dir, "gitless.yaml")
	cfg := fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %q
    plainHTTP: true
    mirrorTagFreshness: 1h
    mirrors: [{host: %q, plainHTTP: true}]
images:
  mirror: %q
  plainHTTP: true
policies:
  - match: "%s/platform/**"
    keys: [%q]
`, z.w.Hub.Host, z.Registry.Host, z.ImagesMirror(), z.w.Hub.Host, filepath.Join(z.w.Keys, "cosign.pub"))
	return os.WriteFile(z.GitlessConfig, []byte(cfg), 0o644)
}

func (w *World) startRegistry(ctx context.Context, name string) (*Registry, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &Registry{Host: fmt.Sprintf("127.0.0.1:%d", port), Dir: filepath.Join(w.Dir, name), w: w}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\n"+
		"storage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n", filepath.Join(r.Dir, "data"), r.Host)
	if err := os.WriteFile(filepath.Join(r.Dir, "config.yml"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	return r, r.Start(ctx)
}

// Start (re)starts the registry on its port with its storage.
func (r *Registry) Start(ctx context.Context) error {
	var err error
	if r.p, err = r.w.procs.start(r.Dir, "registry", nil, r.w.bin("registry"), "serve", filepath.Join(r.Dir, "config.yml")); err != nil {
		return err
	}
	return waitFor(ctx, r.p, "registry "+r.Host, 30*time.Second, func() error {
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

// Stop ends the registry process: its port refuses connections until Start.
func (r *Registry) Stop() { r.p.stop() }

// Stop ends every process the world started, zones first.
func (w *World) Stop() { w.procs.stopAll() }

// Gitless runs bin/kubectl-gitless with the world's signing password and returns its stdout.
func (w *World) Gitless(args ...string) (string, error) {
	cmd := exec.Command(w.bin("kubectl-gitless"), args...)
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=zones", "DOCKER_CONFIG="+filepath.Join(w.Dir, "docker"), "KUBECONFIG="+w.Kubeconfig)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl gitless %s: %w\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// writeKubeconfig merges the zones' kubeconfigs into one with a context per zone.
func (w *World) writeKubeconfig() error {
	merged := clientcmdapi.NewConfig()
	for _, z := range w.Zones {
		c, err := clientcmd.LoadFromFile(z.Kubeconfig)
		if err != nil {
			return err
		}
		for k, v := range c.Clusters {
			merged.Clusters[k] = v
		}
		for k, v := range c.AuthInfos {
			merged.AuthInfos[k] = v
		}
		for k, v := range c.Contexts {
			merged.Contexts[k] = v
		}
		if merged.CurrentContext == "" {
			merged.CurrentContext = c.CurrentContext
		}
	}
	w.Kubeconfig = filepath.Join(w.Dir, "kubeconfig")
	return clientcmd.WriteToFile(*merged, w.Kubeconfig)
}

// Zone returns the zone called name.
func (w *World) Zone(name string) *Zone {
	for _, z := range w.Zones {
		if z.Name == name {
			return z
		}
	}
	return nil
}

// Check returns the first process of the world that exited.
func (w *World) Check() error {
	w.procs.mu.Lock()
	defer w.procs.mu.Unlock()
	for _, p := range w.procs.list {
		if err := p.exited(); err != nil {
			return err
		}
	}
	return nil
}

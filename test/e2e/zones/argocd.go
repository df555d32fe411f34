package zones

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Namespace is where each zone's Argo CD runs and keeps its Applications.
const Namespace = "argocd"

// GVRs of the objects the scenarios read.
var (
	ApplicationGVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
	crdGVR         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// startRedis runs redis-server without persistence on a free port.
func (z *Zone) startRedis(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	z.redis = fmt.Sprintf("127.0.0.1:%d", port)
	p, err := z.w.procs.start(z.Dir, "redis", nil, z.w.redisServer,
		"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", z.Dir)
	if err != nil {
		return err
	}
	return waitFor(ctx, p, z.Name+" redis", 30*time.Second, func() error { return dialable(z.redis) })
}

// bootstrap gives the API server what an Argo CD install gives it: the namespace, Argo CD's CRDs and
// its ConfigMaps and Secret from the argo-cd module, the default AppProject (argocd-server creates it
// at start; no argocd-server runs here, so it is created the way argocd-server creates it) and the
// repository Secrets for the zone registry (plain HTTP).
func (z *Zone) bootstrap(ctx context.Context) error {
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": Namespace}}}
	if err := z.Apply(ctx, ns, ""); err != nil {
		return err
	}
	crds, _ := filepath.Glob(filepath.Join(z.w.argoManifests, "crds", "*-crd.yaml"))
	if len(crds) == 0 {
		return fmt.Errorf("no Argo CD CRDs in %s: run scripts/zones-build.sh", z.w.argoManifests)
	}
	for _, f := range crds {
		if err := z.applyFile(ctx, f, "", nil); err != nil {
			return err
		}
	}
	for _, f := range []string{"argocd-cm.yaml", "argocd-cmd-params-cm.yaml", "argocd-secret.yaml", "argocd-rbac-cm.yaml"} {
		if err := z.applyFile(ctx, filepath.Join(z.w.argoManifests, "config", f), Namespace, nil); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, nil, "Argo CD CRDs established", time.Minute, z.crdsEstablished); err != nil {
		return err
	}
	return z.Apply(ctx, defaultProject(), Namespace)
}

func (z *Zone) crdsEstablished() error {
	for _, name := range []string{"applications.argoproj.io", "appprojects.argoproj.io", "applicationsets.argoproj.io"} {
		crd, err := z.Resource(crdGVR).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		ok := false
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("%s not established", name)
		}
	}
	return nil
}

// defaultProject is the AppProject argocd-server creates when none exists (server.initializeDefaultProject).
func defaultProject() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
		"metadata": map[string]any{"name": "default"},
		"spec": map[string]any{
			"sourceRepos":              []any{"*"},
			"destinations":             []any{map[string]any{"server": "*", "namespace": "*"}},
			"clusterResourceWhitelist": []any{map[string]any{"group": "*", "kind": "*"}},
		},
	}}
}

// AddOCIRepository registers oci://<registry>/<repo> with Argo CD as a plain-HTTP OCI repository
// (a Secret labelled argocd.argoproj.io/secret-type=repository, as `argocd repo add` writes it).
func (z *Zone) AddOCIRepository(ctx context.Context, name, url string) error {
	return z.Apply(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "repo-" + name, "labels": map[string]any{"argocd.argoproj.io/secret-type": "repository"}},
		"stringData": map[string]any{"type": "oci", "name": name, "url": url, "insecureOCIForceHttp": "true"},
	}}, Namespace)
}

// startSidecar runs Argo CD's argocd-cmp-server with manifests/sidecar/plugin.yaml, bin/argocd-cmp first on
// PATH and the zone's gitless config, serving its socket in the plugins directory the repo-server reads.
func (z *Zone) startSidecar(ctx context.Context) error {
	cfgDir := filepath.Join(z.Dir, "cmp-server", "config")
	z.pluginDir = filepath.Join(z.Dir, "cmp-server", "plugins")
	for _, d := range []string{cfgDir, z.pluginDir, filepath.Join(z.Dir, "cmp-server", "tmp"), filepath.Join(z.Dir, "docker")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	plugin, err := os.ReadFile(z.w.pluginYAML)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "plugin.yaml"), plugin, 0o644); err != nil {
		return err
	}
	p, err := z.w.procs.start(z.Dir, "argocd-cmp-server", []string{
		"ARGOCD_BINARY_NAME=argocd-cmp-server",
		"ARGOCD_PLUGINSOCKFILEPATH=" + z.pluginDir,
		"ARGOCD_CMP_WORKDIR=" + filepath.Join(z.Dir, "cmp-server", "tmp"),
		"PATH=" + z.w.BinDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"GITLESS_CONFIG=" + z.GitlessConfig,
		"DOCKER_CONFIG=" + filepath.Join(z.Dir, "docker"),
		"TMPDIR=" + filepath.Join(z.Dir, "cmp-server", "tmp"),
	}, z.w.bin("argocd"), "--config-dir-path", cfgDir, "--loglevel", "info", "--logformat", "text")
	if err != nil {
		return err
	}
	sock := filepath.Join(z.pluginDir, "gitless-v1.sock")
	return waitFor(ctx, p, z.Name+" argocd-cmp-server socket", time.Minute, func() error { _, err := os.Stat(sock); return err })
}

// argoEnv is the environment Argo CD's own Procfile gives its components outside a cluster. The
// kubeconfig's context namespace (argocd) is the namespace they work in; ARGOCD_FAKE_IN_CLUSTER makes
// the in-cluster destination (https://kubernetes.default.svc) the kubeconfig's API server.
func (z *Zone) argoEnv(name string) []string {
	local := filepath.Join(z.Dir, "argocd-local")
	return []string{
		"ARGOCD_BINARY_NAME=" + name, "ARGOCD_FAKE_IN_CLUSTER=true", "KUBECONFIG=" + z.Kubeconfig,
		"ARGOCD_TLS_DATA_PATH=" + filepath.Join(local, "tls"), "ARGOCD_SSH_DATA_PATH=" + filepath.Join(local, "ssh"),
		"ARGOCD_GNUPGHOME=" + filepath.Join(local, "gpg", "keys"), "ARGOCD_GPG_DATA_PATH=" + filepath.Join(local, "gpg", "source"),
		"ARGOCD_GPG_ENABLED=false", "ARGOCD_PLUGINSOCKFILEPATH=" + z.pluginDir, "HOSTNAME=" + z.Name + "-controller-0",
		"TMPDIR=" + filepath.Join(local, "tmp"),
	}
}

// startArgoCD runs argocd-repo-server (with the sidecar's socket directory) and
// argocd-application-controller against the zone's API server and redis.
func (z *Zone) startArgoCD(ctx context.Context) error {
	for _, d := range []string{"tls", "ssh", "gpg/keys", "gpg/source", "tmp"} {
		if err := os.MkdirAll(filepath.Join(z.Dir, "argocd-local", d), 0o700); err != nil {
			return err
		}
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	repoAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	rs, err := z.w.procs.start(z.Dir, "argocd-repo-server", z.argoEnv("argocd-repo-server"), z.w.bin("argocd"),
		"--address", "127.0.0.1", "--port", fmt.Sprint(ports[0]), "--metrics-address", "127.0.0.1", "--metrics-port", fmt.Sprint(ports[1]),
		"--redis", z.redis, "--loglevel", "info", "--logformat", "text")
	if err != nil {
		return err
	}
	if err := waitFor(ctx, rs, z.Name+" argocd-repo-server", 2*time.Minute, func() error { return dialable(repoAddr) }); err != nil {
		return err
	}
	_, err = z.w.procs.start(z.Dir, "argocd-application-controller", z.argoEnv("argocd-application-controller"), z.w.bin("argocd"),
		"--repo-server", repoAddr, "--redis", z.redis, "--metrics-port", fmt.Sprint(ports[2]),
		"--app-resync", "30", "--status-processors", "2", "--operation-processors", "2",
		"--loglevel", "info", "--logformat", "text")
	return err
}

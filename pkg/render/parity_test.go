package render_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/render/internal/manifest"
	"github.com/gitless-dev/gitless/pkg/render/plain"
)

// parityCase renders a tree with Objects and with a peer CLI (kustomize v5.8.2, helm v3.22.0)
// and compares the objects.
type parityCase struct {
	name string
	root string
	opts render.Options
	// peer returns the peer CLI's output for the case.
	peer func(t *testing.T, c parityCase) []byte
	// sameOrder also requires the peer's order (kustomize and helm define one).
	sameOrder bool
}

const parityDir = "testdata/parity"

var parityCases = []parityCase{
	{name: "plain/multi", root: parityDir + "/plain/multi", peer: kustomizeOfPlain, sameOrder: true},
	{name: "plain/example", root: "../../examples/plain", peer: kustomizeOfPlain, sameOrder: true},

	{name: "kustomize/basic", root: parityDir + "/kustomize/basic", opts: render.Options{Path: "overlays/prod"}, peer: kustomizeBuild, sameOrder: true},
	{name: "kustomize/json6902", root: parityDir + "/kustomize/json6902", opts: render.Options{Path: "overlay"}, peer: kustomizeBuild, sameOrder: true},
	{name: "kustomize/components", root: parityDir + "/kustomize/components", opts: render.Options{Path: "app"}, peer: kustomizeBuild, sameOrder: true},
	{name: "kustomize/example-zone-a", root: "../../examples/kustomize", opts: render.Options{Path: "overlays/zone-a"}, peer: kustomizeBuild, sameOrder: true},
	{name: "kustomize/example-zone-a-transforms", root: "../../examples/kustomize", opts: render.Options{
		Path: "overlays/zone-a", KustomizeNamespace: "zone-b", NamePrefix: "p-", NameSuffix: "-s",
		Images: []string{"registry.zone-a.example.com/mirror/nginx=registry.zone-b.example.com/nginx:1.27.3", "busybox:1.37"},
	}, peer: kustomizeEditThenBuild, sameOrder: true},
	{name: "kustomize/basic-transforms", root: parityDir + "/kustomize/basic", opts: render.Options{
		Path: "overlays/prod", KustomizeNamespace: "prod-2", Images: []string{"nginx@sha256:0000000000000000000000000000000000000000000000000000000000000002"},
	}, peer: kustomizeEditThenBuild, sameOrder: true},

	{name: "helm/example-guestbook", root: "../../examples/helm/guestbook", opts: render.Options{
		ReleaseName: "gb", Namespace: "web", KubeVersion: "1.31",
	}, peer: helmTemplate, sameOrder: true},
	{name: "helm/example-guestbook-values", root: "../../examples/helm/guestbook", opts: render.Options{
		ReleaseName: "guestbook", Namespace: "web", KubeVersion: "v1.30.4", SkipCRDs: true,
		ValuesYAML: "replicaCount: 5\ningress:\n  enabled: true\n  host: gb.zone-a.example.com\n",
		Values:     []string{"redis.enabled=false", "image.tag=1.27.3"},
	}, peer: helmTemplate, sameOrder: true},
	{name: "helm/deps", root: parityDir + "/helm/deps", opts: render.Options{
		ReleaseName: "shop", Namespace: "store", KubeVersion: "1.31.0",
	}, peer: helmTemplate, sameOrder: true},
	{name: "helm/deps-prod", root: parityDir + "/helm/deps", opts: render.Options{
		ReleaseName: "shop", Namespace: "store", KubeVersion: "1.31.0",
		ValueFiles: []string{"values-prod.yaml"}, Values: []string{"extra.tier=gold", "web.replicas=4"},
	}, peer: helmTemplate, sameOrder: true},
	{name: "helm/caps-1.30", root: parityDir + "/helm/caps", opts: render.Options{
		ReleaseName: "caps", Namespace: "ops", KubeVersion: "1.30",
	}, peer: helmTemplate, sameOrder: true},
	{name: "helm/caps-1.32-apis", root: parityDir + "/helm/caps", opts: render.Options{
		ReleaseName: "caps", Namespace: "ops", KubeVersion: "v1.32.1",
		APIVersions: []string{"gateway.networking.k8s.io/v1", "monitoring.coreos.com/v1/ServiceMonitor"},
	}, peer: helmTemplate, sameOrder: true},
}

func TestParity(t *testing.T) {
	for _, c := range parityCases {
		t.Run(c.name, func(t *testing.T) {
			ours := mustObjects(t, c.root, c.opts)
			theirs, err := manifest.Decode(bytes.NewReader(c.peer(t, c)), "peer output")
			if err != nil {
				t.Fatal(err)
			}
			compareObjects(t, ours, theirs)
			if c.sameOrder && !reflect.DeepEqual(ids(ours), ids(theirs)) {
				t.Errorf("order differs\nours:  %v\npeer:  %v", ids(ours), ids(theirs))
			}
		})
	}
}

// compareObjects compares two object sets keyed by apiVersion/kind/namespace/name.
func compareObjects(t *testing.T, ours, theirs []*unstructured.Unstructured) {
	t.Helper()
	a, b := byKey(t, ours, "ours"), byKey(t, theirs, "peer")
	for _, k := range sortedKeys(a, b) {
		switch {
		case b[k] == nil:
			t.Errorf("%s: only in ours", k)
		case a[k] == nil:
			t.Errorf("%s: only in peer output", k)
		case !reflect.DeepEqual(a[k].Object, b[k].Object):
			t.Errorf("%s differs (-peer +ours):\n%s", k, yamlDiff(b[k], a[k]))
		}
	}
}

func byKey(t *testing.T, objs []*unstructured.Unstructured, side string) map[string]*unstructured.Unstructured {
	m := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		k := strings.Join([]string{o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName()}, "/")
		if m[k] != nil {
			t.Errorf("%s: %s appears twice", side, k)
		}
		m[k] = o
	}
	return m
}

func sortedKeys(maps ...map[string]*unstructured.Unstructured) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range maps {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func yamlDiff(want, got *unstructured.Unstructured) string {
	a, _ := yaml.Marshal(want.Object)
	b, _ := yaml.Marshal(got.Object)
	diff, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(a)), B: difflib.SplitLines(string(b)),
		FromFile: "peer", ToFile: "ours", Context: 3,
	})
	return diff
}

// kustomizeBuild runs `kustomize build ROOT/PATH`.
func kustomizeBuild(t *testing.T, c parityCase) []byte {
	return runPeer(t, "kustomize", "", "build", filepath.Join(c.root, c.opts.Path))
}

// kustomizeEditThenBuild applies the transforms the way Argo CD does, with `kustomize edit` in a
// copy of the tree, then builds.
func kustomizeEditThenBuild(t *testing.T, c parityCase) []byte {
	dir := filepath.Join(copyTree(t, c.root), c.opts.Path)
	edits := [][]string{}
	if c.opts.KustomizeNamespace != "" {
		edits = append(edits, []string{"set", "namespace", c.opts.KustomizeNamespace})
	}
	if c.opts.NamePrefix != "" {
		edits = append(edits, []string{"set", "nameprefix", "--", c.opts.NamePrefix})
	}
	if c.opts.NameSuffix != "" {
		edits = append(edits, []string{"set", "namesuffix", "--", c.opts.NameSuffix})
	}
	if len(c.opts.Images) > 0 {
		edits = append(edits, append([]string{"set", "image"}, c.opts.Images...))
	}
	for _, e := range edits {
		runPeer(t, "kustomize", dir, append([]string{"edit"}, e...)...)
	}
	return runPeer(t, "kustomize", dir, "build", ".")
}

// kustomizeOfPlain lists the plain renderer's files in a kustomization (in lexical order) in a
// copy of the tree and builds it without reordering: kustomize also flattens List kinds.
func kustomizeOfPlain(t *testing.T, c parityCase) []byte {
	dir := copyTree(t, c.root)
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !plain.IsManifest(d.Name()) {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	k := "resources:\n- " + strings.Join(files, "\n- ") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return runPeer(t, "kustomize", dir, "build", "--reorder", "none", ".")
}

// helmTemplate runs `helm template` with the case's options.
func helmTemplate(t *testing.T, c parityCase) []byte {
	chart, _ := filepath.Abs(filepath.Join(c.root, c.opts.Path))
	args := []string{"template", c.opts.ReleaseName, chart, "--namespace", c.opts.Namespace, "--kube-version", c.opts.KubeVersion}
	if !c.opts.SkipCRDs {
		args = append(args, "--include-crds")
	}
	for _, v := range c.opts.APIVersions {
		args = append(args, "--api-versions", v)
	}
	for _, f := range c.opts.ValueFiles {
		args = append(args, "--values", filepath.Join(chart, f))
	}
	if c.opts.ValuesYAML != "" {
		inline := filepath.Join(t.TempDir(), "inline.yaml")
		if err := os.WriteFile(inline, []byte(c.opts.ValuesYAML), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--values", inline)
	}
	for _, v := range c.opts.Values {
		args = append(args, "--set", v)
	}
	return runPeer(t, "helm", "", args...)
}

func copyTree(t *testing.T, src string) string {
	dst := filepath.Join(t.TempDir(), "tree")
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// runPeer runs a peer CLI from GITLESS_BIN_DIR or the repository's ./bin. A missing binary skips
// the test unless GITLESS_PEERS=required (CI), where it fails.
func runPeer(t *testing.T, name, dir string, args ...string) []byte {
	t.Helper()
	bin := filepath.Join(peerBinDir(t), name)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("GITLESS_PEERS") == "required" {
			t.Fatalf("peer %s missing (GITLESS_PEERS=required): %v; run scripts/install-tools.sh kustomize helm", name, err)
		}
		t.Skipf("peer %s missing: %v; run scripts/install-tools.sh kustomize helm", name, err)
	}
	cmd := exec.CommandContext(context.Background(), bin, args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func peerBinDir(t *testing.T) string {
	if dir := os.Getenv("GITLESS_BIN_DIR"); dir != "" {
		return dir
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "bin")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

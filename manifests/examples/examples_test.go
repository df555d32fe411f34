// Package examples_test renders every example Application under manifests/examples/applications the
// way Argo CD would run argocd-cmp for it: the example artifacts of examples/ are published to an
// in-process hub, signed, replicated to a zone mirror, and generated through pkg/cmp with the
// environment Argo CD builds from the Application (plugin env, ARGOCD_APP_PARAMETERS) and the
// sidecar configuration of manifests/examples/overlay.
package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cmp"
	_ "github.com/gitless-dev/gitless/pkg/cmp/verify" // signatures are verified in this process
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	_ "github.com/gitless-dev/gitless/pkg/render/helm" // Helm charts render as in kubectl-gitless and gitless-render
	"github.com/gitless-dev/gitless/pkg/signature"
)

// The placeholders the examples use, replaced by the test's registries and key.
const (
	exampleHub  = "hub.example.com"
	exampleZone = "zone-a.registry.example.com"
	exampleKey  = "/etc/gitless/keys/platform.pub"
	exampleTag  = "1.4.0"
)

// artifacts maps each repository the example Applications name (under the hub) to the example tree
// published there.
var artifacts = map[string]string{
	"platform/guestbook":           "../../examples/helm/guestbook",
	"platform/guestbook-kustomize": "../../examples/kustomize/overlays/zone-a",
}

// checks holds, per example Application, what its output must show: that its parameters took effect.
var checks = map[string]func(t *testing.T, objs []*unstructured.Unstructured){
	"guestbook": func(t *testing.T, objs []*unstructured.Unstructured) {
		d := one(t, objs, "Deployment")
		wantInt(t, d, 2, "spec", "replicas")
		wantContainerImage(t, d, "nginx:1.27") // the chart's defaults: no parameters
	},
	"guestbook-helm": func(t *testing.T, objs []*unstructured.Unstructured) {
		d := one(t, objs, "Deployment")
		wantInt(t, d, 3, "spec", "replicas")                       // values (inline YAML)
		wantContainerImage(t, d, "nginx:1.27.3")                   // set (map)
		cm := one(t, objs, "ConfigMap")                            //
		wantString(t, cm, "Hello from zone a", "data", "GREETING") // valueFiles
		one(t, objs, "Ingress")                                    // valueFiles
		if d.GetName() != "guestbook" {
			t.Errorf("Deployment %s, want the release name guestbook", d.GetName())
		}
	},
	"guestbook-kustomize": func(t *testing.T, objs []*unstructured.Unstructured) {
		for _, o := range objs {
			if o.GetKind() != "Namespace" && o.GetNamespace() != "guestbook" {
				t.Errorf("%s %s in namespace %q, want the namespace parameter guestbook", o.GetKind(), o.GetName(), o.GetNamespace())
			}
		}
		wantContainerImage(t, one(t, objs, "Deployment"), "registry.zone-a.example.com/mirror/nginx:1.27.3") // images
	},
}

// exercised are the files under manifests/examples that this test reads besides the Applications;
// a new file must be added here together with what exercises it.
var exercised = map[string]string{
	"applications/kustomization.yaml": "TestExampleApplicationsRender: lists every Application",
	"overlay/config.yaml":             "TestExampleApplicationsRender: the sidecar configuration",
	"overlay/platform.pub":            "TestExampleOverlay: parses as a public key",
	"overlay/kustomization.yaml":      "TestExampleOverlay: builds",
	"overlay/argocd-repo-server.yaml": "TestExampleOverlay: builds",
	"examples_test.go":                "this test",
	"volumes_test.go":                 "TestExampleImageVolumes",
	"volumes/pod.yaml":                "TestExampleImageVolumes: the volume --print-volume prints",
	"volumes/deployment.yaml":         "TestExampleImageVolumes: the volume --print-volume prints",
}

func TestEveryExampleFileIsExercised(t *testing.T) {
	apps := applicationFiles(t)
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		p = filepath.ToSlash(p)
		if _, ok := exercised[p]; !ok && !apps[p] {
			t.Errorf("manifests/examples/%s is exercised by no test: render it in %s", p, "manifests/examples/examples_test.go")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExampleApplicationsRender(t *testing.T) {
	w := newWorld(t)
	apps := applicationFiles(t)
	listed := listedApplications(t)
	for file := range apps {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if !listed[filepath.Base(file)] {
				t.Errorf("%s is not listed in applications/kustomization.yaml", file)
			}
			a := w.readApplication(t, file)
			check, ok := checks[a.Metadata.Name]
			if !ok {
				t.Fatalf("no checks for Application %s: add what its parameters must change to checks", a.Metadata.Name)
			}
			env := w.argoEnv(t, a)
			out := w.generate(t, env)
			check(t, decode(t, out))
		})
	}
}

func TestExampleOverlay(t *testing.T) {
	pem, err := os.ReadFile("overlay/platform.pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signature.ParsePublicKey(pem, "overlay/platform.pub"); err != nil {
		t.Fatalf("platform.pub: %v", err)
	}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "overlay")
	if err != nil {
		t.Fatalf("kustomize build overlay: %v", err)
	}
	cfg, err := os.ReadFile("overlay/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range res.Resources() {
		if r.GetKind() == "ConfigMap" && strings.HasPrefix(r.GetName(), "gitless-config") {
			found = r.GetDataMap()["config.yaml"] == string(cfg)
		}
	}
	if !found {
		t.Error("the overlay has no gitless-config ConfigMap carrying config.yaml")
	}
}

// world is a hub and a zone mirror holding the signed example artifacts.
type world struct {
	hub, zone *testregistry.Registry
	keyPath   string
	cfg       *config.Config
	digests   map[string]string // repository path -> digest of exampleTag
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{hub: testregistry.New(t, testregistry.Referrers), zone: testregistry.New(t, testregistry.Referrers),
		digests: map[string]string{}}
	dir := t.TempDir()
	priv, pub, err := signature.GenerateKeyPair([]byte("pw"))
	must(t, err)
	w.keyPath = filepath.Join(dir, "platform.pub")
	must(t, os.WriteFile(filepath.Join(dir, "cosign.key"), priv, 0o600))
	must(t, os.WriteFile(w.keyPath, pub, 0o644))
	signer, err := signature.LoadSigner(filepath.Join(dir, "cosign.key"), []byte("pw"))
	must(t, err)
	for repo, tree := range artifacts {
		w.digests[repo] = w.publish(t, signer, repo, tree)
	}
	w.cfg = w.config(t)
	return w
}

// publish pushes tree to the hub as repo:exampleTag, signs it binding the tag, and copies it (with
// its signatures) to the zone, as `kubectl gitless publish --sign` and `copy` do.
func (w *world) publish(t *testing.T, signer *signature.Signer, repo, tree string) string {
	ctx := context.Background()
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	ref, err := registry.ParseReference(w.hub.Host + "/" + repo + ":" + exampleTag)
	must(t, err)
	hub, err := opts.Open(ref)
	must(t, err)
	pub, err := artifact.Publish(ctx, hub, ref, tree, []string{exampleTag}, artifact.PublishOptions{Created: time.Unix(1700000000, 0)})
	must(t, err)
	_, _, err = signature.SignReference(ctx, hub, signer, ref.Name(), exampleTag)
	must(t, err)
	zoneRef := ref
	zoneRef.Registry = w.zone.Host
	zone, err := opts.Open(zoneRef)
	must(t, err)
	_, err = artifact.Copy(ctx, hub, ref, zone, zoneRef, nil, artifact.CopyOptions{})
	must(t, err)
	return pub.Digest.String()
}

// config is overlay/config.yaml with the test's hosts and key; the test registries speak plain HTTP.
func (w *world) config(t *testing.T) *config.Config {
	raw, err := os.ReadFile("overlay/config.yaml")
	must(t, err)
	doc := strings.NewReplacer(exampleZone, w.zone.Host, exampleHub, w.hub.Host, exampleKey, w.keyPath).Replace(string(raw))
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("overlay/config.yaml: %v", err)
	}
	for i := range cfg.Registries {
		cfg.Registries[i].PlainHTTP = true
		for j := range cfg.Registries[i].Mirrors {
			cfg.Registries[i].Mirrors[j].PlainHTTP = true
		}
	}
	return cfg
}

// application is the part of an Argo CD Application that reaches the plugin.
type application struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Source struct {
			RepoURL        string `json:"repoURL"`
			TargetRevision string `json:"targetRevision"`
			Plugin         struct {
				Name string `json:"name"`
				Env  []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"env"`
				Parameters []pluginParameter `json:"parameters"`
			} `json:"plugin"`
		} `json:"source"`
		Destination struct {
			Namespace string `json:"namespace"`
		} `json:"destination"`
	} `json:"spec"`
}

// pluginParameter mirrors Argo CD's ApplicationSourcePluginParameter: its MarshalJSON writes name and
// whichever of string, map and array is set (a set but empty map or array as {} or []).
type pluginParameter struct {
	Name   string             `json:"name"`
	String *string            `json:"string,omitempty"`
	Map    *map[string]string `json:"map,omitempty"`
	Array  *[]string          `json:"array,omitempty"`
}

var pinnedDigest = regexp.MustCompile(`(` + regexp.QuoteMeta(exampleHub) + `/[a-z0-9._/-]+)@sha256:[0-9a-f]{64}`)

// readApplication reads an example with the test's hub in place of hub.example.com and, for a pinned
// reference, the digest publish gave in place of the example's placeholder.
func (w *world) readApplication(t *testing.T, file string) application {
	raw, err := os.ReadFile(file)
	must(t, err)
	doc := pinnedDigest.ReplaceAllStringFunc(string(raw), func(m string) string {
		repo := strings.TrimPrefix(m[:strings.Index(m, "@")], exampleHub+"/")
		d, ok := w.digests[repo]
		if !ok {
			t.Errorf("%s names %s, which no example artifact is published as", file, m)
		}
		return exampleHub + "/" + repo + "@" + d
	})
	doc = strings.ReplaceAll(doc, exampleHub, w.hub.Host)
	var a application
	if err := yaml.Unmarshal([]byte(doc), &a); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if a.Spec.Source.Plugin.Name != "gitless-v1" {
		t.Fatalf("%s: plugin %q, want gitless-v1", file, a.Spec.Source.Plugin.Name)
	}
	return a
}

// argoEnv is the environment Argo CD's cmp-server gives `argocd-cmp generate` for a.
func (w *world) argoEnv(t *testing.T, a application) map[string]string {
	src := a.Spec.Source
	env := map[string]string{
		"ARGOCD_APP_NAME":                   a.Metadata.Name,
		"ARGOCD_APP_NAMESPACE":              a.Spec.Destination.Namespace,
		"ARGOCD_APP_SOURCE_REPO_URL":        src.RepoURL,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": src.TargetRevision,
		"ARGOCD_APP_REVISION":               "0123456789abcdef0123456789abcdef01234567", // a Git commit
		"KUBE_VERSION":                      "1.34.2",
		"KUBE_API_VERSIONS":                 "v1,apps/v1,networking.k8s.io/v1,policy/v1,apiextensions.k8s.io/v1",
	}
	if repo, ok := strings.CutPrefix(src.RepoURL, "oci://"+w.hub.Host+"/"); ok {
		// Argo CD resolves an OCI source's targetRevision to the digest itself
		if src.TargetRevision != exampleTag {
			t.Fatalf("OCI source %s:%s: the test publishes tag %s", src.RepoURL, src.TargetRevision, exampleTag)
		}
		env["ARGOCD_APP_REVISION"] = w.digests[repo]
	}
	for _, e := range src.Plugin.Env {
		env["ARGOCD_ENV_"+e.Name] = e.Value
	}
	if len(src.Plugin.Parameters) > 0 {
		b, err := json.Marshal(src.Plugin.Parameters)
		must(t, err)
		env["ARGOCD_APP_PARAMETERS"] = string(b)
	}
	return env
}

func (w *world) generate(t *testing.T, vars map[string]string) string {
	env, err := cmp.EnvFromOS(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("reading the Argo CD environment: %v", err)
	}
	var out, logs bytes.Buffer
	p := &cmp.Pipeline{Config: w.cfg, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registry: registry.DefaultOptions(), TempDir: t.TempDir()}
	p.Registry.MaxRetries = 1
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	if err := p.Generate(ctx, env, &out); err != nil {
		t.Fatalf("generate: %v\n%s", err, logs.String())
	}
	return out.String()
}

func applicationFiles(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("applications/*.yaml")
	must(t, err)
	apps := map[string]bool{}
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			apps[filepath.ToSlash(f)] = true
		}
	}
	if len(apps) == 0 {
		t.Fatal("no example Applications")
	}
	return apps
}

func listedApplications(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("applications/kustomization.yaml")
	must(t, err)
	var k struct {
		Resources []string `json:"resources"`
	}
	must(t, yaml.Unmarshal(raw, &k))
	listed := map[string]bool{}
	for _, r := range k.Resources {
		listed[r] = true
	}
	return listed
}

func decode(t *testing.T, stream string) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(stream, "\n---\n") {
		doc = strings.TrimPrefix(strings.TrimSpace(doc), "---")
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("output document: %v\n%s", err, doc)
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	if len(objs) == 0 {
		t.Fatal("no objects rendered")
	}
	return objs
}

func one(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s, got %d", kind, len(found))
	}
	return found[0]
}

func wantInt(t *testing.T, o *unstructured.Unstructured, want int64, path ...string) {
	t.Helper()
	got, _, err := unstructured.NestedFieldNoCopy(o.Object, path...) // JSON numbers decode as float64
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s %s .%s = %v (%v), want %d", o.GetKind(), o.GetName(), strings.Join(path, "."), got, err, want)
	}
}

func wantString(t *testing.T, o *unstructured.Unstructured, want string, path ...string) {
	t.Helper()
	got, _, err := unstructured.NestedString(o.Object, path...)
	if err != nil || got != want {
		t.Errorf("%s %s .%s = %q (%v), want %q", o.GetKind(), o.GetName(), strings.Join(path, "."), got, err, want)
	}
}

func wantContainerImage(t *testing.T, d *unstructured.Unstructured, want string) {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		t.Fatalf("Deployment %s has no containers", d.GetName())
	}
	if got := fmt.Sprint(cs[0].(map[string]any)["image"]); got != want {
		t.Errorf("Deployment %s image = %s, want %s", d.GetName(), got, want)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package zones

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

var configMapGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// release writes a plain-YAML release whose ConfigMap says greeting and whose Deployment runs the
// world's image.
func release(t *testing.T, w *World, greeting string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"configmap.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello-config\ndata:\n  GREETING: %q\n", greeting),
		"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: hello
spec:
  replicas: 2
  selector:
    matchLabels: {app: hello}
  template:
    metadata:
      labels: {app: hello}
    spec:
      containers:
        - name: web
          image: ` + w.Image + `
          envFrom: [{configMapRef: {name: hello-config}}]
`,
		"service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: hello\nspec:\n  selector: {app: hello}\n  ports: [{port: 80}]\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func gitless(t *testing.T, w *World, args ...string) string {
	t.Helper()
	out, err := w.Gitless(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// publish publishes dir to the hub as repo:tag, signed with key (none: unsigned), copies it to every
// zone registry and returns the digest.
func publish(t *testing.T, w *World, dir, repo, tag, key string) string {
	t.Helper()
	args := []string{"publish", dir, w.Hub.Host + "/" + repo + ":" + tag, "--plain-http", "-q"}
	if key != "" {
		args = append(args, "--sign", "--key", key)
	}
	pinned := strings.Split(gitless(t, w, args...), "\n")[0]
	_, d, ok := strings.Cut(pinned, "@")
	if !ok {
		t.Fatalf("publish printed %q, not a pinned reference", pinned)
	}
	for _, z := range w.Zones {
		gitless(t, w, "copy", w.Hub.Host+"/"+repo+":"+tag, z.Registry.Host+"/"+repo, "--plain-http", "--images", z.ImagesMirror())
	}
	return d
}

// application is an Argo CD Application of the zone with automated sync into namespace ns.
func application(name, ns string, source map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": Namespace},
		"spec": map[string]any{
			"project": "default", "source": source,
			"destination": map[string]any{"server": "https://kubernetes.default.svc", "namespace": ns},
			"syncPolicy":  map[string]any{"automated": map[string]any{"prune": true}, "syncOptions": []any{"CreateNamespace=true"}},
		},
	}}
}

func ociSource(z *Zone, repo, rev string) map[string]any {
	return map[string]any{"repoURL": "oci://" + z.Registry.Host + "/" + repo, "targetRevision": rev, "path": ".",
		"plugin": map[string]any{"name": "gitless-v1"}}
}

// pluginSource is the plugin form: an OCI source pinned to a digest carries nothing but the pointer,
// GITLESS_REF names the artifact.
func pluginSource(z *Zone, pointerRepo, pointerDigest, ref string) map[string]any {
	return map[string]any{"repoURL": "oci://" + z.Registry.Host + "/" + pointerRepo, "targetRevision": pointerDigest, "path": ".",
		"plugin": map[string]any{"name": "gitless-v1", "env": []any{map[string]any{"name": "GITLESS_REF", "value": ref}}}}
}

func getApp(t *testing.T, z *Zone, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := z.Resource(ApplicationGVR).Namespace(Namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// waitApp waits until ok accepts the zone's Application.
func waitApp(t *testing.T, z *Zone, name, what string, timeout time.Duration, ok func(*unstructured.Unstructured) error) *unstructured.Unstructured {
	t.Helper()
	var app *unstructured.Unstructured
	err := waitFor(context.Background(), nil, z.Name+"/"+name+" "+what, timeout, func() error {
		if err := z.w.Check(); err != nil {
			return err
		}
		var err error
		if app, err = z.Resource(ApplicationGVR).Namespace(Namespace).Get(context.Background(), name, metav1.GetOptions{}); err != nil {
			return err
		}
		return ok(app)
	})
	if err != nil {
		t.Fatalf("%v\nstatus: %s", err, status(app))
	}
	return app
}

func status(app *unstructured.Unstructured) string {
	if app == nil {
		return "-"
	}
	s, _, _ := unstructured.NestedMap(app.Object, "status")
	delete(s, "resources")
	b, _ := json.Marshal(s)
	return string(b)
}

// syncedAt accepts an Application Synced at revision rev ("" any) whose last operation succeeded.
func syncedAt(rev string) func(*unstructured.Unstructured) error {
	return func(u *unstructured.Unstructured) error {
		sync, _, _ := unstructured.NestedString(u.Object, "status", "sync", "status")
		got, _, _ := unstructured.NestedString(u.Object, "status", "sync", "revision")
		phase, _, _ := unstructured.NestedString(u.Object, "status", "operationState", "phase")
		if sync != "Synced" || phase != "Succeeded" || (rev != "" && got != rev) {
			return fmt.Errorf("sync %s at %s, operation %s", sync, got, phase)
		}
		return nil
	}
}

// comparisonError accepts an Application whose ComparisonError condition contains want.
func comparisonError(want string) func(*unstructured.Unstructured) error {
	return func(u *unstructured.Unstructured) error {
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "ComparisonError" && strings.Contains(fmt.Sprint(m["message"]), want) {
				return nil
			}
		}
		return fmt.Errorf("no ComparisonError containing %q", want)
	}
}

func conditionMessage(u *unstructured.Unstructured) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == "ComparisonError" {
			return fmt.Sprint(m["message"])
		}
	}
	return ""
}

// refresh asks the zone's Argo CD to refresh the Application as the UI's Refresh (normal) or Hard
// Refresh button does: the argocd.argoproj.io/refresh annotation.
func refresh(t *testing.T, z *Zone, name, kind string) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":%q}}}`, kind)
	if _, err := z.Resource(ApplicationGVR).Namespace(Namespace).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setGitlessRef(t *testing.T, z *Zone, name, ref string) {
	t.Helper()
	patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/source/plugin/env/0/value","value":%q}]`, ref)
	if _, err := z.Resource(ApplicationGVR).Namespace(Namespace).Patch(context.Background(), name, types.JSONPatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func create(t *testing.T, z *Zone, app *unstructured.Unstructured) {
	t.Helper()
	if err := z.Apply(context.Background(), app, Namespace); err != nil {
		t.Fatal(err)
	}
}

// greeting is the live ConfigMap's GREETING and resourceVersion in namespace ns.
func greeting(t *testing.T, z *Zone, ns string) (string, string) {
	t.Helper()
	cm, err := z.Resource(configMapGVR).Namespace(ns).Get(context.Background(), "hello-config", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("%s: reading the live ConfigMap in %s: %v", z.Name, ns, err)
	}
	g, _, _ := unstructured.NestedString(cm.Object, "data", "GREETING")
	return g, cm.GetResourceVersion()
}

// rendered is `kubectl gitless render REF` under the zone's own config.
func rendered(t *testing.T, z *Zone, ref string) []*unstructured.Unstructured {
	t.Helper()
	out := gitless(t, z.w, "render", ref, "--policy", z.GitlessConfig)
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
	if len(objs) == 0 {
		t.Fatalf("render %s gave no objects", ref)
	}
	return objs
}

// sameAsRendered checks that every rendered object is in the zone's API server in namespace ns with
// every field the render gave (the API server adds defaults, status and Argo CD's tracking annotation).
func sameAsRendered(t *testing.T, z *Zone, ns string, want []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range want {
		gvk := o.GroupVersionKind()
		gvr := gvk.GroupVersion().WithResource(plural(gvk.Kind))
		live, err := z.Resource(gvr).Namespace(ns).Get(context.Background(), o.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s: %s %s/%s rendered but not in the API server: %v", z.Name, gvk.Kind, ns, o.GetName(), err)
			continue
		}
		if path, ok := subset(normalize(o.Object), normalize(live.Object), ""); !ok {
			t.Errorf("%s: live %s %s/%s differs from the render at %s", z.Name, gvk.Kind, ns, o.GetName(), path)
		}
	}
}

func normalize(m map[string]any) any {
	b, _ := json.Marshal(m)
	var v any
	_ = json.Unmarshal(b, &v)
	return v
}

// subset reports whether want's fields all appear in got with equal values.
func subset(want, got any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range w {
			if p, ok := subset(v, g[k], path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := subset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	}
	if reflect.DeepEqual(want, got) {
		return "", true
	}
	return fmt.Sprintf("%s (want %v, live %v)", path, want, got), false
}

// imageAtZone checks that the render under the zone's config runs the zone's copy of the world's image,
// by digest (the lock's rewrite to images.mirror).
func imageAtZone(t *testing.T, z *Zone, objs []*unstructured.Unstructured) {
	t.Helper()
	want := z.ImagesMirror() + "/" + strings.Replace(strings.TrimSuffix(z.w.Image, ":1.0"), ":", "_", 1) + "@sha256:"
	for _, o := range objs {
		if o.GetKind() != "Deployment" {
			continue
		}
		cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		for _, c := range cs {
			if img := fmt.Sprint(c.(map[string]any)["image"]); !strings.HasPrefix(img, want) {
				t.Errorf("%s: Deployment %s runs %s, want the zone's copy %s...", z.Name, o.GetName(), img, want)
			}
		}
		return
	}
	t.Errorf("%s: no Deployment in the render", z.Name)
}

// outOfSync accepts an Application whose comparison says OutOfSync.
func outOfSync(u *unstructured.Unstructured) error {
	if sync, _, _ := unstructured.NestedString(u.Object, "status", "sync", "status"); sync != "OutOfSync" {
		return fmt.Errorf("sync %s", sync)
	}
	return nil
}

// syncNow starts a sync of the Application the way `argocd app sync` does: an operation on the
// Application, which the controller runs.
func syncNow(t *testing.T, z *Zone, name string) {
	t.Helper()
	patch := `{"operation":{"initiatedBy":{"username":"e2e"},"sync":{"prune":true,"syncOptions":["CreateNamespace=true"]}}}`
	if _, err := z.Resource(ApplicationGVR).Namespace(Namespace).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

// comparedWith accepts an Application whose last comparison used GITLESS_REF ref.
func comparedWith(ref string) func(*unstructured.Unstructured) error {
	return func(u *unstructured.Unstructured) error {
		env, _, _ := unstructured.NestedSlice(u.Object, "status", "sync", "comparedTo", "source", "plugin", "env")
		for _, e := range env {
			if m, _ := e.(map[string]any); m["name"] == "GITLESS_REF" && m["value"] == ref {
				return nil
			}
		}
		return fmt.Errorf("last compared with %v", env)
	}
}

package render_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  render.Kind
	}{
		{"kustomization.yaml", map[string]string{"kustomization.yaml": "", "a.yaml": ""}, render.KindKustomize},
		{"kustomization.yml", map[string]string{"kustomization.yml": ""}, render.KindKustomize},
		{"Kustomization", map[string]string{"Kustomization": ""}, render.KindKustomize},
		{"Chart.yaml", map[string]string{"Chart.yaml": "", "values.yaml": ""}, render.KindHelm},
		{"kustomize wins over helm", map[string]string{"Chart.yaml": "", "kustomization.yaml": ""}, render.KindKustomize},
		{"plain", map[string]string{"deploy.yaml": ""}, render.KindPlain},
		{"empty", map[string]string{}, render.KindPlain},
		{"nested chart is not this dir", map[string]string{"sub/Chart.yaml": ""}, render.KindPlain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := render.Detect(writeTree(t, tt.files))
			if err != nil || got != tt.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	t.Run("missing dir", func(t *testing.T) {
		if _, err := render.Detect(filepath.Join(t.TempDir(), "nope")); err == nil {
			t.Fatal("want error")
		}
	})
}

func TestPlainOrderAndLists(t *testing.T) {
	root := writeTree(t, map[string]string{
		"b.yaml":  fmt.Sprintf(configMap, "b"),
		"a/z.yml": fmt.Sprintf(configMap, "a-z") + "---\n# only a comment\n---\n" + fmt.Sprintf(configMap, "a-z2"),
		"a.json":  `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a-json"}}`,
		"list.yaml": "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s1}\n" +
			"- apiVersion: v1\n  kind: ConfigMapList\n  items:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: nested}}\n",
		"notes.txt":      "not yaml at all: [",
		".github/ci.yml": "on: push\n",
	})
	got := ids(mustObjects(t, root, render.Options{}))
	want := []string{"ConfigMap//a-json", "ConfigMap//a-z", "ConfigMap//a-z2", "ConfigMap//b", "Secret//s1", "ConfigMap//nested"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("objects = %v\nwant %v", got, want)
	}
}

func TestPlainRefusesNonKubernetes(t *testing.T) {
	tests := []struct {
		name, file, content string
		mentions            []string
	}{
		{"no kind", "app/values.yaml", "replicas: 2\n", []string{"app/values.yaml", "document 0"}},
		{"second document", "x.yaml", fmt.Sprintf(configMap, "ok") + "---\napiVersion: v1\n", []string{"x.yaml", "document 1"}},
		{"scalar", "s.yml", "just a string\n", []string{"s.yml"}},
		{"list item", "l.yaml", "apiVersion: v1\nkind: List\nitems:\n- {name: x}\n", []string{"l.yaml", "item 0"}},
		{"json", "c.json", `{"name":"x"}`, []string{"c.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{tt.file: tt.content})
			_, err := render.Objects(context.Background(), root, render.Options{})
			wantErr(t, err, errdef.ErrNotKubernetes, tt.mentions...)
		})
	}
}

func TestRenderPath(t *testing.T) {
	root := writeTree(t, map[string]string{
		"apps/one/cm.yaml":               fmt.Sprintf(configMap, "one"),
		"chart/mychart/Chart.yaml":       "apiVersion: v2\nname: mychart\nversion: 0.1.0\n",
		"chart/mychart/templates/c.yaml": fmt.Sprintf(configMap, "{{ .Release.Name }}"),
	})
	if got := ids(mustObjects(t, root, render.Options{Path: "apps/one"})); !reflect.DeepEqual(got, []string{"ConfigMap//one"}) {
		t.Errorf("Path apps/one = %v", got)
	}
	got := ids(mustObjects(t, root, render.Options{Path: "chart", ReleaseName: "rel"}))
	if !reflect.DeepEqual(got, []string{"ConfigMap//rel"}) {
		t.Errorf("lone chart directory = %v", got)
	}
	_, err := render.Objects(context.Background(), root, render.Options{Path: "../x"})
	wantErr(t, err, errdef.ErrOutsideRoot)
	_, err = render.Objects(context.Background(), root, render.Options{Kind: "jsonnet"})
	wantErr(t, err, errdef.ErrUnknownKind, "jsonnet")
}

func TestSymlinkEscapeRefused(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.yaml": fmt.Sprintf(configMap, "secret")})
	for _, tree := range []map[string]string{
		{"cm.yaml": fmt.Sprintf(configMap, "ok")},
		{"kustomization.yaml": "resources: [cm.yaml]\n", "cm.yaml": fmt.Sprintf(configMap, "ok")},
		{"Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", "templates/cm.yaml": fmt.Sprintf(configMap, "ok")},
	} {
		root := writeTree(t, tree)
		link := filepath.Join(root, "leak.yaml")
		if _, ok := tree["Chart.yaml"]; ok {
			link = filepath.Join(root, "templates", "leak.yaml")
		}
		symlink(t, filepath.Join(outside, "secret.yaml"), link)
		_, err := render.Objects(context.Background(), root, render.Options{})
		wantErr(t, err, errdef.ErrOutsideRoot, "leak.yaml")
	}
}

func TestDeterminism(t *testing.T) {
	for _, tc := range examples {
		t.Run(tc.name, func(t *testing.T) {
			var first, second bytes.Buffer
			if err := render.Render(context.Background(), tc.root, tc.opts, &first); err != nil {
				t.Fatal(err)
			}
			if err := render.Render(context.Background(), tc.root, tc.opts, &second); err != nil {
				t.Fatal(err)
			}
			if first.Len() == 0 || !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatalf("two renders differ or are empty (%d, %d bytes)", first.Len(), second.Len())
			}
		})
	}
}

// examples are the trees under examples/, shared by the determinism test and the benchmarks.
var examples = []struct {
	name string
	root string
	opts render.Options
}{
	{"plain", "../../examples/plain", render.Options{}},
	{"kustomize", "../../examples/kustomize", render.Options{Path: "overlays/zone-a"}},
	{"helm", "../../examples/helm/guestbook", render.Options{ReleaseName: "gb", Namespace: "web", KubeVersion: "1.31"}},
}

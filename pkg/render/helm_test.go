package render_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
	"github.com/gitless-dev/gitless/pkg/render/helm"
)

const capsChart = "testdata/parity/helm/caps"

func TestHelmMissingDependency(t *testing.T) {
	root := writeTree(t, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n" +
			"- name: postgresql\n  version: 1.0.0\n  repository: https://charts.example.com\n" +
			"- name: here\n  version: 0.1.0\n  repository: file://charts/here\n",
		"charts/here/Chart.yaml": "apiVersion: v2\nname: here\nversion: 0.1.0\n",
	})
	_, err := render.Objects(context.Background(), root, render.Options{})
	wantErr(t, err, errdef.ErrMissingDependency, "postgresql")
}

func TestHelmValueFileOutsideRoot(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.yaml": "greeting: leaked\n"})
	root := writeTree(t, map[string]string{
		"chart/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"chart/templates/cm.yaml": fmt.Sprintf(configMap, "{{ .Values.greeting }}"),
		"chart/values.yaml":       "greeting: hi\n",
		"envs/prod.yaml":          "greeting: prod\n",
	})
	symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "envs", "link.yaml"))
	tests := []struct {
		file   string
		target error
	}{
		{"../../outside.yaml", errdef.ErrOutsideRoot},
		{"../envs/link.yaml", errdef.ErrOutsideRoot},
		{filepath.Join(outside, "secret.yaml"), errdef.ErrNotFound}, // absolute means inside the root
		{"https://example.com/values.yaml", errdef.ErrRemoteReference},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := render.Objects(context.Background(), root, render.Options{Path: "chart", ValueFiles: []string{tt.file}})
			wantErr(t, err, tt.target)
		})
	}
	t.Run("inside the root", func(t *testing.T) {
		for _, file := range []string{"../envs/prod.yaml", "/envs/prod.yaml"} {
			objs := mustObjects(t, root, render.Options{Path: "chart", ValueFiles: []string{file}})
			if got := ids(objs); !reflect.DeepEqual(got, []string{"ConfigMap//prod"}) {
				t.Errorf("%s: %v", file, got)
			}
		}
	})
}

func TestHelmValuesPrecedence(t *testing.T) {
	root := writeTree(t, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"values.yaml": "a: chart\nb: chart\nc: chart\nd: chart\ne: chart\n" +
			"nested: {keep: chart, over: chart}\n",
		"one.yaml": "b: one\nc: one\nd: one\ne: one\nnested: {over: one}\n",
		"two.yaml": "c: two\nd: two\ne: two\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: values\ndata:\n" +
			"{{- range $k := list \"a\" \"b\" \"c\" \"d\" \"e\" }}\n  {{ $k }}: {{ index $.Values $k | quote }}\n{{- end }}\n" +
			"  keep: {{ .Values.nested.keep }}\n  over: {{ .Values.nested.over }}\n",
	})
	objs := mustObjects(t, root, render.Options{
		ValueFiles: []string{"one.yaml", "two.yaml"},
		ValuesYAML: "d: inline\ne: inline\n",
		Values:     []string{"e=set"},
	})
	data, _, _ := unstructured.NestedStringMap(objs[0].Object, "data")
	want := map[string]string{"a": "chart", "b": "one", "c": "two", "d": "inline", "e": "set", "keep": "chart", "over": "one"}
	if !reflect.DeepEqual(data, want) {
		t.Fatalf("values = %v\nwant %v", data, want)
	}
}

func TestHelmCapabilities(t *testing.T) {
	tests := []struct {
		kube     string
		apis     []string
		version  string
		sidecars string
		gateway  string
		monitor  bool
	}{
		{"v1.31.0", nil, "v1.31.0", "native", "false", false},
		{"1.30", nil, "v1.30", "legacy", "false", false},
		{"1.31+", []string{"gateway.networking.k8s.io/v1,monitoring.coreos.com/v1/ServiceMonitor"}, "v1.31", "native", "true", true},
		{"v1.32.2-gke.1000", []string{"monitoring.coreos.com/v1/ServiceMonitor"}, "v1.32.2", "native", "false", true},
	}
	for _, tt := range tests {
		t.Run(tt.kube, func(t *testing.T) {
			objs := mustObjects(t, capsChart, render.Options{KubeVersion: tt.kube, APIVersions: tt.apis})
			data, _, _ := unstructured.NestedStringMap(find(t, objs, "ConfigMap", "caps").Object, "data")
			if data["kubeVersion"] != tt.version || data["sidecars"] != tt.sidecars || data["hasGateway"] != tt.gateway {
				t.Errorf("data = %v", data)
			}
			if hasMonitor := len(objs) == 2; hasMonitor != tt.monitor {
				t.Errorf("ServiceMonitor rendered = %v, want %v", hasMonitor, tt.monitor)
			}
		})
	}
	_, err := render.Objects(context.Background(), capsChart, render.Options{KubeVersion: "latest"})
	wantErr(t, err, errdef.ErrInvalidOption, "latest")
	_, err = render.Objects(context.Background(), capsChart, render.Options{KubeVersion: "1.20"})
	wantErr(t, err, nil, "kubeVersion") // the chart's own constraint still applies
}

func TestHelmDefaultKubeVersion(t *testing.T) {
	objs := mustObjects(t, capsChart, render.Options{})
	data, _, _ := unstructured.NestedStringMap(find(t, objs, "ConfigMap", "caps").Object, "data")
	if data["kubeVersion"] != helm.DefaultKubeVersion || data["kubeMinor"] == "20" {
		t.Fatalf("default kube version = %v, want the compiled-in client-go minor", data["kubeVersion"])
	}
}

func TestHelmLookupReturnsNothing(t *testing.T) {
	objs := mustObjects(t, capsChart, render.Options{Namespace: "kube-system"})
	data, _, _ := unstructured.NestedStringMap(objs[0].Object, "data")
	if data["lookup"] != "empty" || data["lookupCount"] != "0" {
		t.Fatalf("lookup found something: %v", data)
	}
}

func TestHelmHooksCRDsAndNotes(t *testing.T) {
	opts := render.Options{ReleaseName: "gb", Namespace: "web"}
	got := ids(mustObjects(t, "../../examples/helm/guestbook", opts))
	want := []string{
		"CustomResourceDefinition//guestbooks.example.com", "ConfigMap//gb-guestbook", "Service//gb-redis",
		"Service//gb-guestbook", "Deployment//gb-guestbook", "StatefulSet//gb-redis", "Guestbook//gb-guestbook",
		"Pod//gb-guestbook-test", // the test hook, as `helm template` prints it
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("objects = %v\nwant %v", got, want)
	}
	opts.SkipCRDs = true
	opts.Values = []string{"redis.enabled=false", "ingress.enabled=true"}
	got = ids(mustObjects(t, "../../examples/helm/guestbook", opts))
	want = []string{"ConfigMap//gb-guestbook", "Service//gb-guestbook", "Deployment//gb-guestbook",
		"Ingress//gb-guestbook", "Guestbook//gb-guestbook", "Pod//gb-guestbook-test"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("with SkipCRDs, redis off, ingress on: %v\nwant %v", got, want)
	}
}

func TestHelmDefaultsLikeHelmTemplate(t *testing.T) {
	root := writeTree(t, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n",
	})
	if got := ids(mustObjects(t, root, render.Options{})); !reflect.DeepEqual(got, []string{"ConfigMap/default/release-name"}) {
		t.Fatalf("defaults = %v", got)
	}
	if err := os.WriteFile(filepath.Join(root, "templates", "bad.yaml"), []byte("{{ fail \"boom\" }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := render.Objects(context.Background(), root, render.Options{})
	wantErr(t, err, nil, "boom")
}

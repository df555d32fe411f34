package render_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

func TestKustomizeRefusals(t *testing.T) {
	cm := fmt.Sprintf(configMap, "cm")
	tests := []struct {
		name     string
		files    map[string]string
		path     string
		target   error
		mentions []string
	}{
		{"remote git base", map[string]string{
			"kustomization.yaml": "resources:\n- github.com/kubernetes-sigs/kustomize//examples/multibases?ref=v1.0.6\n",
		}, "", errdef.ErrRemoteReference, []string{"github.com/kubernetes-sigs/kustomize"}},
		{"remote https resource", map[string]string{
			"kustomization.yaml": "resources:\n- https://raw.githubusercontent.com/org/repo/main/cm.yaml\n",
		}, "", errdef.ErrRemoteReference, []string{"https://raw.githubusercontent.com"}},
		{"remote component in a base", map[string]string{
			"overlay/kustomization.yaml": "resources: [../base]\n",
			"base/kustomization.yaml":    "components:\n- git@github.com:org/repo.git//comp\n",
		}, "overlay", errdef.ErrRemoteReference, []string{"git@github.com:org/repo.git//comp", "base/kustomization.yaml"}},
		{"remote patch file", map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\npatches:\n- path: https://example.com/p.yaml\n",
			"cm.yaml":            cm,
		}, "", errdef.ErrRemoteReference, []string{"https://example.com/p.yaml"}},
		{"absolute host file", map[string]string{
			"kustomization.yaml": "resources:\n- /etc/passwd\n",
		}, "", errdef.ErrOutsideRoot, []string{"/etc/passwd"}},
		{"climbing beyond the root", map[string]string{
			"overlays/a/kustomization.yaml": "resources:\n- ../../../outside\n",
		}, "overlays/a", errdef.ErrOutsideRoot, []string{"../../../outside"}},
		{"missing local base", map[string]string{
			"overlay/kustomization.yaml": "resources:\n- ../nobase\n",
		}, "overlay", errdef.ErrNotFound, []string{"../nobase"}},
		{"missing local file", map[string]string{
			"kustomization.yaml": "resources:\n- nope.yaml\n",
		}, "", errdef.ErrNotFound, []string{"nope.yaml"}},
		{"exec plugin", map[string]string{
			"kustomization.yaml": "generators:\n- gen.yaml\n",
			"gen.yaml": "apiVersion: example.com/v1\nkind: SecretsFromVault\nmetadata:\n  name: x\n" +
				"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./plugin.sh\n",
			"plugin.sh": "#!/bin/sh\ntouch /tmp/gitless-pwned\n",
		}, "", errdef.ErrPluginsDisabled, nil},
		{"containerized KRM function", map[string]string{
			"kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- |\n  apiVersion: example.com/v1\n  kind: Labeller\n  metadata:\n    name: x\n" +
				"    annotations:\n      config.kubernetes.io/function: |\n        container:\n          image: example.com/labeller:1\n",
			"cm.yaml": cm,
		}, "", errdef.ErrPluginsDisabled, nil},
		{"helmCharts", map[string]string{
			"kustomization.yaml": "helmCharts:\n- name: redis\n  repo: https://charts.example.com\n  version: 1.0.0\n",
		}, "", errdef.ErrHelmChartsInKustomize, []string{"kustomization.yaml"}},
		{"file outside the kustomization root", map[string]string{
			"app/kustomization.yaml": "configMapGenerator:\n- name: x\n  files: [../secret.txt]\n",
			"secret.txt":             "s3cr3t",
		}, "app", nil, []string{"secret.txt"}},
		{"bad image override", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\n", "cm.yaml": cm},
			"", errdef.ErrInvalidOption, []string{"=:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := render.Options{Path: tt.path}
			if tt.target == errdef.ErrInvalidOption {
				opts.Images = []string{"=:"}
			}
			_, err := render.Objects(context.Background(), writeTree(t, tt.files), opts)
			wantErr(t, err, tt.target, tt.mentions...)
		})
	}
}

func TestKustomizeTransforms(t *testing.T) {
	objs := mustObjects(t, "../../examples/kustomize", render.Options{
		Path:               "overlays/zone-a",
		KustomizeNamespace: "zone-b",
		NamePrefix:         "p-",
		NameSuffix:         "-s",
		Images:             []string{"registry.zone-a.example.com/mirror/nginx=registry.zone-b.example.com/nginx:1.27.3"},
	})
	dep := find(t, objs, "Deployment", "p-guestbook-s")
	if dep.GetNamespace() != "zone-b" {
		t.Errorf("namespace = %q", dep.GetNamespace())
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	image := containers[0].(map[string]interface{})["image"]
	if image != "registry.zone-b.example.com/nginx:1.27.3" {
		t.Errorf("image = %v", image)
	}
	envFrom := containers[0].(map[string]interface{})["envFrom"].([]interface{})
	ref := envFrom[0].(map[string]interface{})["configMapRef"].(map[string]interface{})["name"].(string)
	find(t, objs, "ConfigMap", ref) // name references follow prefix, suffix and hash
}

func TestKustomizeOrderMatchesLegacySort(t *testing.T) {
	got := ids(mustObjects(t, "../../examples/kustomize", render.Options{Path: "overlays/zone-a"}))
	want := []string{"Namespace//zone-a", "ConfigMap/zone-a/guestbook-config-g579mt9dhg", "Service/zone-a/guestbook",
		"Deployment/zone-a/guestbook", "PodDisruptionBudget/zone-a/guestbook"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v\nwant %v", got, want)
	}
}

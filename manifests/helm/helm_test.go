// Package helm_test keeps manifests/helm/values.yaml (for the official argo-cd chart) equal to the
// Kustomize component manifests/sidecar: the same sidecar container, the same volumes and the same
// plugin, so the two install paths cannot drift apart. The argo-cd chart cannot be fetched here, so
// the test applies what the chart does with these values: extraContainers and volumes are added to
// argocd-repo-server as given, and configs.cmp.plugins.NAME becomes the key NAME.yaml of the ConfigMap
// argocd-cmp-cm holding a ConfigManagementPlugin named NAME with that spec.
package helm_test

import (
	"os"
	"reflect"
	"regexp"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// values is the part of the argo-cd chart's values that values.yaml sets.
type values struct {
	Configs struct {
		CMP struct {
			Create  bool           `json:"create"`
			Plugins map[string]any `json:"plugins"`
		} `json:"cmp"`
	} `json:"configs"`
	RepoServer struct {
		ExtraContainers []map[string]any `json:"extraContainers"`
		Volumes         []map[string]any `json:"volumes"`
	} `json:"repoServer"`
}

// The chart's ConfigMap for plugins, and the key the gitless plugin gets in it.
const (
	chartCMPConfigMap = "argocd-cmp-cm"
	chartPluginKey    = "gitless.yaml"
)

func TestHelmValuesMatchKustomizeComponent(t *testing.T) {
	v := readValues(t)
	k := buildComponent(t)

	if !v.Configs.CMP.Create || len(v.Configs.CMP.Plugins) != 1 {
		t.Fatalf("configs.cmp: create %v, %d plugins; want create: true and the one plugin gitless", v.Configs.CMP.Create, len(v.Configs.CMP.Plugins))
	}
	chartPlugin := map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "ConfigManagementPlugin",
		"metadata": map[string]any{"name": "gitless"}, "spec": v.Configs.CMP.Plugins["gitless"]}
	if !reflect.DeepEqual(chartPlugin, k.plugin) {
		t.Errorf("plugin differs:\nhelm values: %s\nmanifests/sidecar/plugin.yaml: %s", show(chartPlugin), show(k.plugin))
	}

	if len(v.RepoServer.ExtraContainers) != 1 {
		t.Fatalf("repoServer.extraContainers has %d containers, want the gitless sidecar alone", len(v.RepoServer.ExtraContainers))
	}
	hc := normalizeContainer(t, v.RepoServer.ExtraContainers[0], chartPluginKey)
	kc := normalizeContainer(t, k.container, "plugin.yaml")
	if !reflect.DeepEqual(hc, kc) {
		t.Errorf("sidecar container differs:\nhelm values: %s\nkustomize: %s", show(hc), show(kc))
	}
	hv, kv := normalizeVolumes(v.RepoServer.Volumes), normalizeVolumes(k.volumes)
	if !reflect.DeepEqual(hv, kv) {
		t.Errorf("volumes differ:\nhelm values: %s\nkustomize: %s", show(hv), show(kv))
	}
}

// component is what manifests/sidecar adds, as built by the example overlay.
type component struct {
	container map[string]any
	volumes   []map[string]any // the ones the sidecar's patch adds
	plugin    map[string]any
}

func buildComponent(t *testing.T) component {
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "../examples/overlay")
	if err != nil {
		t.Fatalf("kustomize build manifests/examples/overlay: %v", err)
	}
	var c component
	patch := readYAML(t, "../sidecar/repo-server-sidecar.yaml")
	added := map[string]bool{}
	for _, vol := range sliceAt(patch, "spec", "template", "spec", "volumes") {
		added[vol["name"].(string)] = true
	}
	for _, r := range res.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r.GetKind() == "Deployment" && r.GetName() == "argocd-repo-server":
			for _, ctr := range sliceAt(m, "spec", "template", "spec", "containers") {
				if ctr["name"] == "gitless" {
					c.container = ctr
				}
			}
			for _, vol := range sliceAt(m, "spec", "template", "spec", "volumes") {
				if added[vol["name"].(string)] {
					c.volumes = append(c.volumes, vol)
				}
			}
		case r.GetKind() == "ConfigMap" && hashed.ReplaceAllString(r.GetName(), "") == "gitless-cmp-plugin":
			if err := yaml.Unmarshal([]byte(r.GetDataMap()["plugin.yaml"]), &c.plugin); err != nil {
				t.Fatalf("plugin.yaml: %v", err)
			}
		}
	}
	if c.container == nil || len(c.volumes) != len(added) || c.plugin == nil {
		t.Fatalf("the overlay build lacks the sidecar: container %v, %d of %d volumes, plugin %v", c.container != nil, len(c.volumes), len(added), c.plugin != nil)
	}
	return c
}

// hashed is the suffix kustomize appends to generated ConfigMap names.
var hashed = regexp.MustCompile(`-[a-z0-9]{10}$`)

// normalizeContainer makes the two forms comparable: the plugin file is mounted from a different
// ConfigMap key in each (plugin.yaml, gitless.yaml), so that mount's subPath is checked to be the
// plugin's key and then dropped.
func normalizeContainer(t *testing.T, c map[string]any, pluginKey string) map[string]any {
	t.Helper()
	out := roundTrip(t, c)
	for _, m := range out["volumeMounts"].([]any) {
		m := m.(map[string]any)
		if m["mountPath"] == "/home/argocd/cmp-server/config/plugin.yaml" {
			if m["subPath"] != pluginKey {
				t.Errorf("plugin.yaml is mounted from key %v, want %s", m["subPath"], pluginKey)
			}
			delete(m, "subPath")
		}
	}
	return out
}

// normalizeVolumes drops kustomize's name hashes and maps the chart's argocd-cmp-cm onto the
// component's own plugin ConfigMap.
func normalizeVolumes(vols []map[string]any) []map[string]any {
	var out []map[string]any
	for _, v := range vols {
		v := roundTrip(nil, v)
		if cm, ok := v["configMap"].(map[string]any); ok {
			name := hashed.ReplaceAllString(cm["name"].(string), "")
			if name == chartCMPConfigMap {
				name = "gitless-cmp-plugin"
			}
			cm["name"] = name
		}
		out = append(out, v)
	}
	return out
}

func readValues(t *testing.T) values {
	raw, err := os.ReadFile("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v values
	if err := yaml.UnmarshalStrict(raw, &v); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	return v
}

func readYAML(t *testing.T, path string) map[string]any {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func sliceAt(m map[string]any, path ...string) []map[string]any {
	var cur any = m
	for _, p := range path {
		mm, _ := cur.(map[string]any)
		cur = mm[p]
	}
	var out []map[string]any
	for _, e := range cur.([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// roundTrip copies v through JSON, so maps from YAML and from kustomize compare equal (numbers, types).
func roundTrip(t *testing.T, v any) map[string]any {
	raw, err := yaml.Marshal(v)
	if err == nil {
		var out map[string]any
		if err = yaml.Unmarshal(raw, &out); err == nil {
			return out
		}
	}
	if t != nil {
		t.Fatal(err)
	}
	panic(err)
}

func show(v any) string {
	raw, _ := yaml.Marshal(v)
	return "\n" + string(raw)
}

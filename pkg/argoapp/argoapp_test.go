package argoapp

import (
	"encoding/json"
	"strings"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const digest1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func object(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

var apps = map[string]string{
	"oci": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: oci, namespace: argocd}
spec:
  source: {repoURL: oci://zone.example/platform/app, targetRevision: stable, path: ., plugin: {name: gitless-v1}}
status:
  sync: {status: Synced, revision: ` + digest1 + `}
  health: {status: Healthy}
  conditions: [{type: ComparisonError, message: "first"}, {type: SyncError, message: "last one"}]
`,
	"env": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: env, namespace: argocd}
spec:
  source:
    repoURL: https://git.example/deploy.git
    plugin: {name: gitless-v1, env: [{name: OTHER, value: x}, {name: GITLESS_REF, value: "hub.example/platform/app:1.0"}]}
status: {sync: {status: Synced, revision: abc}}
`,
	"param": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: param
  namespace: team
  ownerReferences: [{apiVersion: argoproj.io/v1alpha1, kind: ApplicationSet, name: zones, uid: u}]
spec:
  sources:
    - {repoURL: https://charts.example, chart: other}
    - repoURL: https://git.example/deploy.git
      plugin: {name: gitless-v1, parameters: [{name: ref, string: "hub.example/platform/app@` + digest1 + `"}]}
status: {sync: {status: Synced, revisions: [r0, r1]}}
`,
	"helm": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: helm, namespace: argocd}
spec:
  source: {repoURL: https://charts.example, chart: other, targetRevision: 1.0.0}
`,
	"oci-no-plugin": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: oci-no-plugin, namespace: argocd}
spec:
  source: {repoURL: oci://hub.example/platform/app, targetRevision: 1.0.0, path: .}
`,
}

func TestFromObject(t *testing.T) {
	configured := func(repo string) bool { return strings.HasPrefix(repo, "hub.example/") }
	for _, c := range []struct {
		name      string
		isGitless func(string) bool
		ok        bool
		form      Form
		ref       string
		synced    string
		condition string
		appset    string
	}{
		{"oci", nil, true, FormOCI, "zone.example/platform/app:stable", digest1, "SyncError: last one", ""},
		{"env", nil, true, FormPluginEnv, "hub.example/platform/app:1.0", "", "", ""},
		{"param", nil, true, FormPluginParam, "hub.example/platform/app@" + digest1, digest1, "", "zones"},
		{"helm", configured, false, "", "", "", "", ""},
		{"oci-no-plugin", nil, false, "", "", "", "", ""},
		{"oci-no-plugin", configured, true, FormOCI, "hub.example/platform/app:1.0.0", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, ok := FromObject(object(t, apps[c.name]), c.isGitless)
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v", ok, c.ok)
			}
			if !ok {
				return
			}
			if a.Form != c.form || a.Ref != c.ref || a.SyncedDigest() != c.synced || a.Condition != c.condition || a.Generated != c.appset {
				t.Errorf("got form %s ref %s synced %q condition %q appset %q", a.Form, a.Ref, a.SyncedDigest(), a.Condition, a.Generated)
			}
		})
	}
}

func TestPinPatch(t *testing.T) {
	const d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	for _, c := range []struct {
		name, path, want string
	}{
		{"oci", "spec.source.targetRevision", d2},
		{"env", "spec.source.plugin.env.1.value", "hub.example/platform/app:2.0@" + d2},
		{"param", "spec.sources.1.plugin.parameters.0.string", "hub.example/platform/app:2.0@" + d2},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := object(t, apps[c.name])
			a, _ := FromObject(u, nil)
			patch, err := a.PinPatch(a.Value("hub.example/platform/app", "2.0", d2))
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := json.Marshal(u.Object)
			p, err := jsonpatch.DecodePatch(patch)
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Apply(doc)
			if err != nil {
				t.Fatalf("applying %s: %v", patch, err)
			}
			var m map[string]any
			_ = json.Unmarshal(out, &m)
			if got := lookup(m, strings.Split(c.path, ".")); got != c.want {
				t.Errorf("%s = %v, want %s (patch %s)", c.path, got, c.want, patch)
			}
			// the patch tests the current value: an Application changed meanwhile refuses it
			u.Object["spec"].(map[string]any)["source"] = map[string]any{"repoURL": "changed"}
			if len(u.Object["spec"].(map[string]any)) > 0 && c.name == "oci" {
				doc, _ = json.Marshal(u.Object)
				if _, err := p.Apply(doc); err == nil {
					t.Errorf("the patch applied to a changed Application")
				}
			}
		})
	}
}

func lookup(v any, path []string) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, ch := range k {
				i = i*10 + int(ch-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		}
	}
	return v
}

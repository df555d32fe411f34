package render_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// TestKustomizeReachesNoURL writes a URL of a local server into every place of a kustomization
// that krusty could load a file from, and checks that the render is refused before the server
// sees a single request.
func TestKustomizeReachesNoURL(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  secret: from-the-metadata-service\n")
	}))
	defer srv.Close()
	u := srv.URL + "/latest/meta-data"
	cm := fmt.Sprintf(configMap, "cm")
	inline := func(doc string) string {
		return "  " + strings.ReplaceAll(strings.TrimSpace(doc), "\n", "\n  ") + "\n"
	}
	cmGen := "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: gen\nfiles:\n- k=" + u + "\n"
	tests := []struct {
		name   string
		files  map[string]string
		target error
	}{
		{"inline ConfigMapGenerator files", map[string]string{"kustomization.yaml": "generators:\n- |\n" + inline(cmGen)}, nil},
		{"inline SecretGenerator envs", map[string]string{"kustomization.yaml": "generators:\n- |\n" +
			inline("apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: s\nenvs:\n- "+u)}, nil},
		{"inline SecretGenerator env", map[string]string{"kustomization.yaml": "generators:\n- |\n" +
			inline("apiVersion: builtin\nkind: SecretGenerator\nmetadata:\n  name: s\nenv: "+u)}, nil},
		{"inline PatchTransformer path", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- |\n" +
			inline("apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: "+u), "cm.yaml": cm}, nil},
		{"inline PatchStrategicMergeTransformer paths", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- |\n" +
			inline("apiVersion: builtin\nkind: PatchStrategicMergeTransformer\nmetadata:\n  name: p\npaths:\n- "+u), "cm.yaml": cm}, nil},
		{"inline ReplacementTransformer path", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ntransformers:\n- |\n" +
			inline("apiVersion: builtin\nkind: ReplacementTransformer\nmetadata:\n  name: r\nreplacements:\n- path: "+u), "cm.yaml": cm}, nil},
		{"inline HelmChartInflationGenerator", map[string]string{"kustomization.yaml": "generators:\n- |\n" +
			inline("apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: h\nname: x\nrepo: "+u)}, errdef.ErrHelmChartsInKustomize},
		{"generator file", map[string]string{"kustomization.yaml": "generators:\n- gen.yaml\n", "gen.yaml": cmGen}, nil},
		{"generator directory", map[string]string{"kustomization.yaml": "generators:\n- gens\n",
			"gens/kustomization.yaml": "resources: [gen.yaml]\n", "gens/gen.yaml": cmGen}, nil},
		{"validator", map[string]string{"kustomization.yaml": "validators:\n- " + u + "\n"}, nil},
		{"configMapGenerator files", map[string]string{"kustomization.yaml": "configMapGenerator:\n- name: x\n  files:\n  - k=" + u + "\n"}, nil},
		{"configMapGenerator env", map[string]string{"kustomization.yaml": "configMapGenerator:\n- name: x\n  env: " + u + "\n"}, nil},
		{"secretGenerator envs", map[string]string{"kustomization.yaml": "secretGenerator:\n- name: x\n  envs:\n  - " + u + "\n"}, nil},
		{"resources", map[string]string{"kustomization.yaml": "resources:\n- " + u + "\n"}, nil},
		{"resources upper-case scheme", map[string]string{"kustomization.yaml": "resources:\n- " + strings.Replace(u, "http", "HTTP", 1) + "\n"}, nil},
		{"components", map[string]string{"kustomization.yaml": "components:\n- " + u + "\n"}, nil},
		{"openapi path", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nopenapi:\n  path: " + u + "\n", "cm.yaml": cm}, nil},
		{"configurations", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nconfigurations:\n- " + u + "\n", "cm.yaml": cm}, nil},
		{"crds", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ncrds:\n- " + u + "\n", "cm.yaml": cm}, nil},
		{"replacements path", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n- path: " + u + "\n", "cm.yaml": cm}, nil},
		{"patches path", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\npatches:\n- path: " + u + "\n", "cm.yaml": cm}, nil},
		{"patchesStrategicMerge", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\npatchesStrategicMerge:\n- " + u + "\n", "cm.yaml": cm}, nil},
		{"helmCharts", map[string]string{"kustomization.yaml": "helmCharts:\n- name: x\n  repo: " + u + "\n"}, errdef.ErrHelmChartsInKustomize},
		{"helmGlobals", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\nhelmGlobals:\n  chartHome: " + u + "\n", "cm.yaml": cm}, errdef.ErrHelmChartsInKustomize},
		{"component with inline generator", map[string]string{"kustomization.yaml": "resources: [cm.yaml]\ncomponents: [comp]\n", "cm.yaml": cm,
			"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ngenerators:\n- |\n" + inline(cmGen)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == nil {
				target = errdef.ErrRemoteReference
			}
			root := writeTree(t, tt.files)
			var out bytes.Buffer
			err := render.Render(context.Background(), root, render.Options{}, &out)
			wantErr(t, err, target)
			if n := hits.Load(); n != 0 {
				t.Fatalf("the server saw %d requests", n)
			}
			if out.Len() != 0 {
				t.Fatalf("output on error: %q", out.String())
			}
			_, err = render.Objects(context.Background(), root, render.Options{})
			wantErr(t, err, target)
			if n := hits.Load(); n != 0 {
				t.Fatalf("the server saw %d requests in process", n)
			}
		})
	}
}

// TestHelmSchemaReachesNothing checks that a values.schema.json cannot make Helm's validator
// load a URL or a host file.
func TestHelmSchemaReachesNothing(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"type": "object"}`)
	}))
	defer srv.Close()
	chartFiles := func(schema string) map[string]string {
		return map[string]string{
			"Chart.yaml":         "apiVersion: v2\nname: app\nversion: 0.1.0\n",
			"values.yaml":        "greeting: hi\n",
			"values.schema.json": schema,
			"templates/cm.yaml":  fmt.Sprintf(configMap, "cm"),
		}
	}
	tests := []struct {
		name, schema string
		ok           bool
	}{
		{"http reference", `{"properties": {"greeting": {"$ref": "` + srv.URL + `/s.json"}}}`, false},
		{"file reference", `{"$ref": "file:///etc/hostname"}`, false},
		{"relative reference", `{"properties": {"greeting": {"$ref": "other.json"}}}`, false},
		{"unknown meta-schema", `{"$schema": "` + srv.URL + `/meta", "type": "object"}`, false},
		{"subchart schema", "", false},
		{"references inside the schema", `{"$schema": "https://json-schema.org/draft-07/schema#", "$id": "https://example.com/app.json",` +
			`"definitions": {"s": {"type": "string"}}, "properties": {"greeting": {"$ref": "#/definitions/s"}}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := chartFiles(tt.schema)
			if tt.schema == "" {
				files = chartFiles(`{"type": "object"}`)
				files["charts/sub/Chart.yaml"] = "apiVersion: v2\nname: sub\nversion: 0.1.0\n"
				files["charts/sub/values.schema.json"] = `{"$ref": "` + srv.URL + `/sub.json"}`
			}
			var out bytes.Buffer
			err := render.Render(context.Background(), writeTree(t, files), render.Options{}, &out)
			if tt.ok {
				if err != nil || out.Len() == 0 {
					t.Fatalf("Render = %v, %d bytes", err, out.Len())
				}
			} else {
				wantErr(t, err, errdef.ErrRemoteReference)
			}
			if n := hits.Load(); n != 0 {
				t.Fatalf("the server saw %d requests", n)
			}
		})
	}
}

// TestRenderChildSeesNoEnvironment checks that the renderer child does not inherit the
// parent's environment (credentials, proxies, PATH): a template that could read it finds nothing.
func TestRenderChildSeesNoEnvironment(t *testing.T) {
	t.Setenv("GITLESS_TEST_SECRET", "s3cret")
	root := writeTree(t, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"templates/cm.yaml": fmt.Sprintf(configMap, "cm") + "data:\n  files: {{ len (.Files.Glob \"**\") | quote }}\n",
	})
	var out bytes.Buffer
	if err := render.Render(context.Background(), root, render.Options{}, &out); err != nil {
		t.Fatal(err)
	}
	env := render.ChildEnvironForTest()
	for _, kv := range env {
		if strings.Contains(kv, "s3cret") || strings.HasPrefix(kv, "PATH=") {
			t.Fatalf("child environment holds %q", kv)
		}
	}
}

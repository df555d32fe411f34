package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"sigs.k8s.io/yaml"
)

// These tests prove the harness with a stand-in plugin: Argo CD's cmp-server, our plugin.yaml and the
// repo-server's client path carry env, parameters, files, failures and deadlines as they will for
// the real argocd-cmp.

const testDigest = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"

// guestbook is an OCI-source Application as Argo CD hands it to the plugin after resolving the tag.
func guestbook() app {
	return app{
		Name: "guestbook", Namespace: "guestbook", Project: "default",
		RepoURL: "oci://hub.example.com/platform/guestbook", TargetRevision: "1.4.0", Revision: testDigest,
		Path: ".", PluginName: "gitless-v1",
		KubeVersion: "v1.34.2", APIVersions: []string{"v1", "apps/v1"},
	}
}

func startFakeCMPServer(t *testing.T) *cmpServer {
	t.Helper()
	return startCMPServer(t, pluginYAML, fakePluginDir(t), nil)
}

func TestHarnessPluginName(t *testing.T) {
	s := startFakeCMPServer(t)
	if got := s.PluginName(); got != "gitless-v1" {
		t.Errorf("plugin name = %q, want gitless-v1 (what the example Applications use)", got)
	}
}

func TestHarnessDetect(t *testing.T) {
	s := startFakeCMPServer(t)
	ctx := context.Background()
	if err := s.Detect(ctx, t, guestbook()); err != nil {
		t.Errorf("named plugin: %v", err)
	}
	// Without `discover`, an Application that does not name the plugin is never claimed by it.
	unnamed := guestbook()
	unnamed.PluginName = ""
	if err := s.Detect(ctx, t, unnamed); err == nil || !strings.Contains(err.Error(), "could not find plugin") {
		t.Errorf("unnamed Application: err = %v, want no plugin found", err)
	}
	other := guestbook()
	other.PluginName = "other-v1"
	if err := s.Detect(ctx, t, other); err == nil {
		t.Error("Application naming another plugin was given gitless")
	}
}

func TestHarnessGenerateEnv(t *testing.T) {
	s := startFakeCMPServer(t)
	a := guestbook()
	a.PluginEnv = v1alpha1.Env{{Name: "GITLESS_REF", Value: "hub.example.com/platform/guestbook:1.4.0"}, {Name: "APP", Value: "$ARGOCD_APP_NAME-x"}}
	a.Parameters = v1alpha1.ApplicationSourcePluginParameters{
		{Name: "valueFiles", OptionalArray: &v1alpha1.OptionalArray{Array: []string{"values-a.yaml"}}},
		{Name: "values", OptionalMap: &v1alpha1.OptionalMap{Map: map[string]string{"replicaCount": "3"}}},
		{Name: "releaseName", String_: ptr("gb")},
	}
	manifests, err := s.Generate(context.Background(), t, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(manifests) != 2 {
		t.Fatalf("got %d manifests, want 2:\n%s", len(manifests), strings.Join(manifests, "\n---\n"))
	}
	env := configMapData(t, manifests[0])
	want := map[string]string{
		"ARGOCD_APP_NAME":                   "guestbook",
		"ARGOCD_APP_NAMESPACE":              "guestbook",
		"ARGOCD_APP_REVISION":               testDigest,
		"ARGOCD_APP_SOURCE_REPO_URL":        "oci://hub.example.com/platform/guestbook",
		"ARGOCD_APP_SOURCE_TARGET_REVISION": "1.4.0",
		"KUBE_VERSION":                      "1.34.2",
		"KUBE_API_VERSIONS":                 "v1,apps/v1",
		"ARGOCD_ENV_GITLESS_REF":            "hub.example.com/platform/guestbook:1.4.0",
		"ARGOCD_ENV_APP":                    "guestbook-x",
		"PARAM_VALUEFILES_0":                "values-a.yaml",
		"PARAM_VALUES_REPLICACOUNT":         "3",
		"PARAM_RELEASENAME":                 "gb",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	var params v1alpha1.ApplicationSourcePluginParameters
	if err := json.Unmarshal([]byte(env["ARGOCD_APP_PARAMETERS"]), &params); err != nil {
		t.Fatalf("ARGOCD_APP_PARAMETERS: %v", err)
	}
	if len(params) != 3 || params[0].Array[0] != "values-a.yaml" || params[1].Map["replicaCount"] != "3" || *params[2].String_ != "gb" {
		t.Errorf("ARGOCD_APP_PARAMETERS = %s", env["ARGOCD_APP_PARAMETERS"])
	}
	// The sidecar's own environment reaches the plugin too (GITLESS_CONFIG, DOCKER_CONFIG in the pod).
	if _, ok := env["ARGOCD_CMP_WORKDIR"]; !ok {
		t.Error("the cmp-server's process environment did not reach the plugin")
	}
}

func TestHarnessGenerateStreamsFiles(t *testing.T) {
	s := startFakeCMPServer(t)
	repo := t.TempDir()
	writeFiles(t, repo, map[string]string{
		"zone-a/guestbook/pointer.yaml": "ref: x\n",
		"zone-a/other/ignored.yaml":     "x: y\n",
		".git/HEAD":                     "ref: refs/heads/main\n",
	})
	a := guestbook()
	a.RepoDir, a.Path = repo, "zone-a/guestbook"
	manifests, err := s.Generate(context.Background(), t, a)
	if err != nil {
		t.Fatal(err)
	}
	// The plugin runs in the app path of Argo CD's copy; the whole repo is streamed around it.
	if got := configMapData(t, manifests[1])["files"]; got != "pointer.yaml" {
		t.Errorf("files in the plugin's working directory = %q, want pointer.yaml", got)
	}
}

func TestHarnessGenerateFailure(t *testing.T) {
	s := startFakeCMPServer(t)
	a := guestbook()
	a.PluginEnv = v1alpha1.Env{{Name: "FAIL", Value: "signature verification failed"}}
	manifests, err := s.Generate(context.Background(), t, a)
	if err == nil {
		t.Fatal("generate of a failing plugin succeeded")
	}
	if len(manifests) != 0 {
		t.Errorf("got %d manifests from a failing plugin", len(manifests))
	}
	// What the Application's condition shows: the command, its exit status and its stderr.
	if !strings.Contains(err.Error(), "signature verification failed") || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("error does not carry the plugin's stderr and exit status: %v", err)
	}
	t.Logf("error as Argo CD reports it: %v", err)
}

// TestHarnessGenerateEmptyOutput records why argocd-cmp must fail loudly: an empty stdout with exit 0
// is zero manifests and no error, which with prune deletes the Application's resources.
func TestHarnessGenerateEmptyOutput(t *testing.T) {
	s := startFakeCMPServer(t)
	a := guestbook()
	a.PluginEnv = v1alpha1.Env{{Name: "EMPTY", Value: "1"}}
	manifests, err := s.Generate(context.Background(), t, a)
	if err != nil || len(manifests) != 0 {
		t.Errorf("empty output: manifests=%d err=%v, want 0 and no error", len(manifests), err)
	}
}

func TestHarnessGenerateDeadline(t *testing.T) {
	s := startFakeCMPServer(t)
	a := guestbook()
	a.PluginEnv = v1alpha1.Env{{Name: "SLEEP", Value: "30s"}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	manifests, err := s.Generate(ctx, t, a)
	elapsed := time.Since(start)
	if err == nil || len(manifests) != 0 {
		t.Fatalf("generate past the deadline: manifests=%d err=%v", len(manifests), err)
	}
	if elapsed > 10*time.Second {
		t.Errorf("generate returned after %s, want about the 2s deadline", elapsed)
	}
	t.Logf("deadline error after %s: %v", elapsed.Round(time.Millisecond), err)
}

func TestHarnessParameters(t *testing.T) {
	s := startFakeCMPServer(t)
	a := guestbook()
	a.PluginEnv = v1alpha1.Env{{Name: "GITLESS_REF", Value: "hub.example.com/platform/guestbook:1.4.0"}}
	ann, err := s.Parameters(context.Background(), t, a)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, p := range ann {
		names[p.Name] = p.String_
	}
	for _, n := range []string{"ref", "valueFiles", "values", "releaseName", "namespace", "images"} {
		if _, ok := names[n]; !ok {
			t.Errorf("announcement lacks %q: %v", n, names)
		}
	}
	if names["ref"] != "hub.example.com/platform/guestbook:1.4.0" || names["releaseName"] != "guestbook" {
		t.Errorf("plugin env did not reach the parameters command: %v", names)
	}
}

func TestHarnessParametersFailure(t *testing.T) {
	s := startFakeCMPServer(t)
	a := guestbook()
	a.PluginEnv = v1alpha1.Env{{Name: "FAIL", Value: "no artifact"}}
	if _, err := s.Parameters(context.Background(), t, a); err == nil || !strings.Contains(err.Error(), "no artifact") {
		t.Errorf("err = %v, want the plugin's stderr", err)
	}
}

func configMapData(t *testing.T, manifest string) map[string]string {
	t.Helper()
	var cm struct {
		Kind string            `json:"kind"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal([]byte(manifest), &cm); err != nil || cm.Kind != "ConfigMap" {
		t.Fatalf("not a ConfigMap (%v):\n%s", err, manifest)
	}
	return cm.Data
}

func ptr[T any](v T) *T { return &v }

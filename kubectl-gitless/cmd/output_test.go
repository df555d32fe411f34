package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestPolicyRegistrySettings: verify and list --policy take plainHTTP from the config's registries
// entry, as render --policy does (no --plain-http flag given); list's VERIFY column says what verify
// says per tag, and without trust flags list counts signatures by format; sign prints the artifact's
// pinned reference on stdout and labels the signature on stderr.
func TestPolicyRegistrySettings(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	reg := testregistry.New(t, testregistry.Referrers)
	dir := t.TempDir()
	key := sigtest.NewKeyPair(t, dir, "cosign")
	other := sigtest.NewKeyPair(t, dir, "other")
	app := reg.Host + "/platform/app"
	pinned := strings.TrimSpace(mustRun(t, "publish", exampleCopy(t, "plain"), app+":1.0.0", "-q"))
	mustRun(t, "publish", exampleCopy(t, "plain/service.yaml"), app+":nosig", "-q")
	mustRun(t, "publish", exampleCopy(t, "plain/configmap.yaml"), app+":other", "-q")
	t.Setenv("COSIGN_PASSWORD", string(other.Pass))
	mustRun(t, "sign", app+":other", "--key", other.Priv)
	t.Setenv("COSIGN_PASSWORD", string(key.Pass))

	out, errOut, err := run(t, append([]string{"sign", app + ":1.0.0", "--key", key.Priv}, registryFlags(t)...)...)
	if err != nil {
		t.Fatalf("sign: %v\n%s", err, errOut)
	}
	if strings.TrimSpace(out) != pinned {
		t.Errorf("sign stdout = %q, want the pinned reference %q as publish prints it", out, pinned)
	}
	if !strings.HasPrefix(errOut, "Signature (bundle, binds tag 1.0.0): "+app+"@sha256:") {
		t.Errorf("sign stderr = %q, want the labelled signature reference", errOut)
	}
	var sig signResult
	if err := json.Unmarshal([]byte(mustRun(t, "sign", app+":1.0.0", "--key", key.Priv, "-o", "json")), &sig); err != nil ||
		sig.Reference != pinned || !strings.HasPrefix(sig.Signature, app+"@sha256:") || sig.Signature == sig.Reference {
		t.Errorf("sign -o json = %+v (%v)", sig, err)
	}

	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: \""+reg.Host+"\"\n    plainHTTP: true\n"+
		"policies:\n  - match: \""+reg.Host+"/platform/**\"\n    keys: [\""+key.Pub+"\"]\n")
	noPlainHTTP := []string{"--retries", "0", "--registry-config", filepath.Join(dir, "none.json")}
	if out, errOut, err := run(t, append([]string{"verify", app + ":1.0.0", "--policy", cfg}, noPlainHTTP...)...); err != nil {
		t.Fatalf("verify --policy without --plain-http (the config says plainHTTP): %v\n%s%s", err, out, errOut)
	}

	list, errOut, err := run(t, append([]string{"list", app, "--policy", cfg}, noPlainHTTP...)...)
	if err != nil {
		t.Fatalf("list --policy: %v\n%s", err, errOut)
	}
	for _, want := range []string{".*VERIFY", "1.0.0 .* verified", "nosig .* no signature \\(exit 10\\)", "other .* no valid signature \\(exit 12\\)"} {
		if !matches(want, list) {
			t.Errorf("list --policy lacks %q:\n%s", want, list)
		}
	}
	list = mustRun(t, "list", app)
	for _, want := range []string{".*SIGNATURES", "1.0.0 .* 2 \\(bundle\\)", "nosig .* none", "other .* 1 \\(bundle\\)"} {
		if !matches(want, list) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
}

// TestRenderFlags: -f reads local values files as helm -f does, --value-file names a file inside the
// chart, -o json prints a kind: List, and the old --insecure-skip-verify still works with a warning.
func TestRenderFlags(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	chart := exampleCopy(t, "helm/guestbook")
	writeFile(t, filepath.Join(chart, "values-prod.yaml"), "replicaCount: 4\n")
	local := filepath.Join(t.TempDir(), "local.yaml")
	writeFile(t, local, "replicaCount: 7\n")
	local2 := filepath.Join(t.TempDir(), "local2.yaml")
	writeFile(t, local2, "replicaCount: 8\n")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"chart default", nil, "replicas: 2"},
		{"value file inside the chart", []string{"--value-file", "values-prod.yaml"}, "replicas: 4"},
		{"local -f over the chart's file", []string{"--value-file", "values-prod.yaml", "-f", local}, "replicas: 7"},
		{"later -f wins", []string{"-f", local, "--values", local2}, "replicas: 8"},
		{"--values-yaml over -f", []string{"-f", local, "--values-yaml", "replicaCount: 9"}, "replicas: 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"render", chart}, tt.args...)...)
			if !strings.Contains(out, tt.want) {
				t.Errorf("render %v lacks %q:\n%s", tt.args, tt.want, out)
			}
		})
	}
	if _, _, err := run(t, "render", chart, "-f", "values-prod.yaml"); ExitCode(err) != ExitUsage ||
		!strings.Contains(err.Error(), "values-prod.yaml") {
		t.Errorf("-f of a file that is only inside the chart: %v (want a usage error naming it)", err)
	}

	var list struct {
		Kind  string           `json:"kind"`
		Items []map[string]any `json:"items"`
	}
	out := mustRun(t, "render", chart, "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil || list.Kind != "List" || len(list.Items) < 2 || list.Items[0]["kind"] == nil {
		t.Fatalf("render -o json: %v\n%s", err, out)
	}
	yamlObjs := strings.Count(mustRun(t, "render", chart), "\nkind: ")
	if len(list.Items) != yamlObjs {
		t.Errorf("-o json has %d items, -o yaml %d objects", len(list.Items), yamlObjs)
	}

	reg := testregistry.New(t, testregistry.Referrers)
	mustRun(t, "publish", exampleCopy(t, "plain"), reg.Host+"/app:1", "-q")
	out, errOut, err := run(t, append([]string{"render", reg.Host + "/app:1", "--insecure-skip-verify"}, registryFlags(t)...)...)
	if err != nil || !strings.Contains(out, "kind: Deployment") {
		t.Fatalf("render --insecure-skip-verify: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "--insecure-ignore-signatures") || !strings.Contains(errOut, "without verifying signatures") {
		t.Errorf("the old flag name is not reported as deprecated with a warning: %q", errOut)
	}
	if c, _, _ := NewRootCmd(testStreams()).Find([]string{"render"}); c.Flags().Lookup("insecure-skip-verify").Hidden != true {
		t.Error("--insecure-skip-verify is not hidden")
	}
}

// TestDiffResult: no change exits 0 and prints [] with -o json; a change exits 1 and prints no "Error:".
func TestDiffResult(t *testing.T) {
	a, b := exampleCopy(t, "plain"), exampleCopy(t, "plain")
	out, errOut, err := run(t, "diff", a, b, "-o", "json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("diff of identical trees -o json = %q, %v, %s (want [])", out, err, errOut)
	}
	cm := filepath.Join(b, "configmap.yaml")
	content, _ := os.ReadFile(cm)
	writeFile(t, cm, strings.Replace(string(content), "name: ", "name: renamed-", 1))
	out, errOut, err = run(t, "diff", a, b)
	if ExitCode(err) != ExitDifferent || !strings.Contains(out, "+++ ") {
		t.Errorf("diff with changes: exit %d, stdout %q", ExitCode(err), out)
	}
	if strings.Contains(errOut, "Error:") {
		t.Errorf("a change is printed as an error: %q", errOut)
	}
}

// TestPullJSON: pull -o json uses lower-camel names and [] for an empty list.
func TestPullJSON(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	reg := testregistry.New(t, testregistry.Referrers)
	mustRun(t, "publish", exampleCopy(t, "plain"), reg.Host+"/team/app:1.0.0", "-q", "--source", "https://example.com/gitless/config.git",
		"--revision", "0123456789abcdef0123456789abcdef01234567")
	dir := filepath.Join(t.TempDir(), "out")
	out := mustRun(t, "pull", reg.Host+"/team/app:1.0.0", dir, "-o", "json")
	golden(t, "pull-json", reg.Host, strings.ReplaceAll(out, dir, "DIR"))
	if strings.Contains(out, `"Format"`) || strings.Contains(out, "null") {
		t.Errorf("pull -o json has Go field names or null:\n%s", out)
	}
}

// TestSortReferrers: referrers print in one order whatever order the registry lists them in.
func TestSortReferrers(t *testing.T) {
	created := func(s string) map[string]string { return map[string]string{"org.opencontainers.image.created": s} }
	want := []artifact.Referrer{
		{Digest: "sha256:b", Kind: "cosign signature", Tag: "sha256-x.sig"},
		{Digest: "sha256:c", ArtifactType: "application/spdx+json"},
		{Digest: "sha256:z", ArtifactType: "application/vnd.dev.sigstore.bundle.v0.3+json", Annotations: created("2026-01-01T00:00:00Z")},
		{Digest: "sha256:a", ArtifactType: "application/vnd.dev.sigstore.bundle.v0.3+json", Annotations: created("2026-01-02T00:00:00Z")},
		{Digest: "sha256:b", ArtifactType: "application/vnd.dev.sigstore.bundle.v0.3+json", Annotations: created("2026-01-02T00:00:00Z")},
	}
	for _, perm := range [][]int{{4, 3, 2, 1, 0}, {2, 0, 4, 1, 3}, {1, 4, 0, 3, 2}} {
		got := make([]artifact.Referrer, len(want))
		for i, j := range perm {
			got[i] = want[j]
		}
		sortReferrers(got)
		if !slices.EqualFunc(got, want, func(a, b artifact.Referrer) bool {
			return a.Digest == b.Digest && a.ArtifactType == b.ArtifactType && a.Annotations["org.opencontainers.image.created"] == b.Annotations["org.opencontainers.image.created"]
		}) {
			t.Errorf("order %v sorted to %v", perm, got)
		}
	}
}

// TestPublishRootHint: outside git, an overlay whose base lies outside PATH is refused with the hint
// to pass --root, and --root makes it work.
func TestPublishRootHint(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	reg := testregistry.New(t, testregistry.Referrers)
	tree := exampleCopy(t, "kustomize")
	overlay := filepath.Join(tree, "overlays", "zone-a")
	_, _, err := run(t, append([]string{"publish", overlay, reg.Host + "/app:1", "-q"}, registryFlags(t)...)...)
	if err == nil || !strings.Contains(err.Error(), "--root") {
		t.Fatalf("publish of an overlay with bases outside PATH, outside git: %v (want the --root hint)", err)
	}
	out := mustRun(t, "publish", overlay, reg.Host+"/app:1", "-q", "--root", tree)
	if _, err := registry.ParseReference(strings.TrimSpace(out)); err != nil {
		t.Errorf("publish --root: %q", out)
	}
}

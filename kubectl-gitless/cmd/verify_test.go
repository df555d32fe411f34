package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestSignVerifyCLI drives publish --sign, sign, verify, copy, render and diff as a user would, and
// checks verify's cosign-like exit codes.
func TestSignVerifyCLI(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			hub := testregistry.New(t, kind)
			zone := testregistry.New(t, kind)
			dir := t.TempDir()
			t.Setenv("COSIGN_PASSWORD", "cli")
			if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
				t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
			}
			other := sigtest.NewKeyPair(t, dir, "other")
			app := hub.Host + "/platform/app"
			mustRun(t, "publish", exampleCopy(t, "plain"), app+":1.0.0,latest", "--sign", "--key", filepath.Join(dir, "cosign.key"), "-q")
			mustRun(t, "publish", exampleCopy(t, "plain/service.yaml"), app+":unsigned", "-q")
			mustRun(t, "sign", app+":unsigned", "--key", filepath.Join(dir, "cosign.key"), "--signature-format", "legacy")
			mustRun(t, "publish", exampleCopy(t, "plain/configmap.yaml"), app+":nosig", "-q")
			// signed by digest, as plain `cosign sign` does: no signature binds the tag
			pinned := strings.TrimSpace(mustRun(t, "publish", exampleCopy(t, "plain/deployment.yaml"), app+":unbound", "-q"))
			mustRun(t, "sign", pinned, "--key", filepath.Join(dir, "cosign.key"))

			pub := filepath.Join(dir, "cosign.pub")
			out := mustRun(t, "verify", app+":latest", "--key", pub, "-o", "json")
			var res signature.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil || !res.TagBound || len(res.Signatures) != 2 { // publish --sign signs once per tag
				t.Fatalf("verify -o json: %v\n%s", err, out)
			}
			mustRun(t, "verify", app+":unsigned", "--key", dir) // a directory of keys; legacy format
			mustRun(t, "verify", app+":unbound", "--key", pub, "--allow-unbound-tags")
			mustRun(t, "verify", pinned, "--key", pub)

			codes := []struct {
				name string
				args []string
				want int
			}{
				{"no signature", []string{"verify", app + ":nosig", "--key", pub}, signature.ExitNoSignature},
				{"tag not found", []string{"verify", app + ":9.9.9", "--key", pub}, signature.ExitTagNotFound},
				{"wrong key", []string{"verify", app + ":1.0.0", "--key", other.Pub}, signature.ExitNoValid},
				{"no trust given", []string{"verify", app + ":1.0.0"}, ExitUsage},
				{"keyless without issuer", []string{"verify", app + ":1.0.0", "--certificate-identity", "me@example.com"}, ExitUsage},
				{"unbound tag", []string{"verify", app + ":unbound", "--key", pub}, signature.ExitNoValid},
				{"allow-unbound-tags with a policy file", []string{"verify", app + ":unbound", "--policy", pub, "--allow-unbound-tags"}, ExitUsage},
			}
			for _, c := range codes {
				t.Run(c.name, func(t *testing.T) {
					out, _, err := run(t, append(c.args, registryFlags(t)...)...)
					if got := ExitCode(err); got != c.want || out != "" {
						t.Fatalf("exit %d (want %d), err %v, stdout %q", got, c.want, err, out)
					}
				})
			}

			// replicate, then render from the zone as the sidecar would, and diff against the local tree
			mustRun(t, "copy", app+":1.0.0", zone.Host+"/platform/app")
			policy := filepath.Join(dir, "config.yaml")
			cfg := "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: \"" + zone.Host + "\"\n    plainHTTP: true\n" +
				"policies:\n  - match: \"" + zone.Host + "/platform/**\"\n    keys: [\"" + pub + "\"]\n    requireTagBinding: true\n"
			if err := os.WriteFile(policy, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			rendered := mustRun(t, "render", zone.Host+"/platform/app:1.0.0", "--policy", policy)
			if !strings.Contains(rendered, "kind: Deployment") {
				t.Fatalf("render: %s", rendered)
			}
			if out, _, err := run(t, append([]string{"diff", zone.Host + "/platform/app:1.0.0", exampleCopy(t, "plain"), "--policy", policy}, registryFlags(t)...)...); err != nil {
				t.Fatalf("diff of identical content: %v\n%s", err, out)
			}
		})
	}
}

// TestVerifyCopyUnderAnotherPath: a copy of hub/platform/app at zone/zone-a/app fails verification by
// tag on its own (the signatures bind platform/app, and the refusal says so), and verifies with a
// config whose mirror maps the path back to the upstream one.
func TestVerifyCopyUnderAnotherPath(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	zone := testregistry.New(t, testregistry.Referrers)
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "cli")
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
	pub := filepath.Join(dir, "cosign.pub")
	mustRun(t, "publish", exampleCopy(t, "plain"), hub.Host+"/platform/app:1.0.0", "--sign", "--key", filepath.Join(dir, "cosign.key"), "-q")
	mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", zone.Host+"/zone-a/app")
	copied := zone.Host + "/zone-a/app:1.0.0"

	_, _, err := run(t, append([]string{"verify", copied, "--key", pub}, registryFlags(t)...)...)
	if ExitCode(err) != signature.ExitNoValid || !strings.Contains(err.Error(), "the signatures bind "+hub.Host+"/platform/app:1.0.0, not "+zone.Host+"/zone-a/app") {
		t.Fatalf("verify of the copy without a mapping: exit %d, %v", ExitCode(err), err)
	}

	policy := filepath.Join(dir, "config.yaml")
	cfg := "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: \"" + hub.Host + "\"\n    plainHTTP: true\n" +
		"    mirrors: [{host: \"" + zone.Host + "\", plainHTTP: true, stripPrefix: platform, pathPrefix: zone-a}]\n" +
		"policies:\n  - match: \"" + hub.Host + "/platform/**\"\n    keys: [\"" + pub + "\"]\n    requireTagBinding: true\n"
	if err := os.WriteFile(policy, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "verify", copied, "--policy", policy, "-o", "json")
	var res signature.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.TagBound || res.Repository != hub.Host+"/platform/app" {
		t.Fatalf("verify of the copy with the mapping: %v\n%s", err, out)
	}
	if out, _, err := run(t, append([]string{"verify", zone.Host + "/zone-a/app:9.9.9", "--policy", policy}, registryFlags(t)...)...); ExitCode(err) != signature.ExitTagNotFound {
		t.Fatalf("missing tag on the mirror: exit %d, %v %s", ExitCode(err), err, out)
	}
}

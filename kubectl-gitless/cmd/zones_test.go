package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
)

// TestZonesReplicatePromoteStatus drives the operator's loop through the CLI: replicate a rule set to
// three zones, promote a release by a signed tag on the hub, replicate again (the tag and its
// signature travel), status all in sync (exit 0); then move the tag on the hub only: status exits 2
// and marks each zone diverged; a bad flag combination exits 1, never 2.
func TestZonesReplicatePromoteStatus(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	zoneA := testregistry.New(t, testregistry.Referrers)
	zoneB := testregistry.New(t, testregistry.Distribution)
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "cli")
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
	replicateRun := func() string {
		t.Helper()
		out, errOut, err := run(t, "replicate", "-f", filepath.Join(dir, "zones.yaml"), "--retries", "0")
		if err != nil {
			t.Fatalf("replicate: %v\n%s\n%s", err, out, errOut)
		}
		return out
	}
	key, pub := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	app := hub.Host + "/platform/app"
	for _, v := range []string{"1.0.0", "1.1.0"} {
		mustRun(t, "publish", exampleCopy(t, "plain"), app+":"+v, "--sign", "--key", key, "-q", "--annotation", "release="+v)
	}
	zones := filepath.Join(dir, "zones.yaml")
	doc := fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Replication
hub: {registry: %q, plainHTTP: true}
zones:
- {name: zone-a, registry: %q, plainHTTP: true}
- {name: zone-b, registry: %q, plainHTTP: true}
- {name: airgap, registry: "oci-layout:%s"}
rules:
- {repositories: ["platform/**"], versions: ">=1.0 <2"}
- {repositories: ["platform/**"], tags: [prod]}
`, hub.Host, zoneA.Host, zoneB.Host, filepath.Join(dir, "airgap"))
	if err := os.WriteFile(zones, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out := replicateRun()
	if !strings.Contains(out, "zone-b: 2 copied, 0 present") {
		t.Fatalf("replicate:\n%s", out)
	}
	mustRun(t, "tag", app+":1.0.0", "prod", "--sign", "--key", key)
	out = replicateRun()
	if !strings.Contains(out, "zone-a: 1 copied, 1 present") {
		t.Fatalf("replicate after promotion:\n%s", out)
	}
	status := []string{"status", app, "--zone", zoneA.Host, "--zone", zoneB.Host, "--key", pub}
	out = mustRun(t, status...)
	if strings.Count(out, "in-sync") != 6 {
		t.Fatalf("status after replicate:\n%s", out)
	}

	_, errOut, err := run(t, append([]string{"tag", app + ":1.1.0", "prod"}, registryFlags(t)...)...)
	if err == nil || !strings.Contains(errOut, "needs --force") {
		t.Fatalf("moving prod without --force: %v %s", err, errOut)
	}
	mustRun(t, "tag", app+":1.1.0", "prod", "--force", "--sign", "--key", key)
	out, _, err = run(t, append(status, registryFlags(t)...)...)
	if ExitCode(err) != ExitDrift || strings.Count(out, "diverged") < 2 {
		t.Fatalf("status after moving prod on the hub: exit %d (%v)\n%s", ExitCode(err), err, out)
	}
	_, _, err = run(t, append([]string{"status", app}, registryFlags(t)...)...)
	if ExitCode(err) != ExitError {
		t.Fatalf("status without zones: exit %d (%v), want %d", ExitCode(err), err, ExitError)
	}
}

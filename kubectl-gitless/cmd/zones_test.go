package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
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

// TestZonesImagesCLI: replicate with images: true places the locked images at each zone's images
// prefix (and in the air gap's layout) before the artifact, a re-run copies nothing, status -f shows
// the images column in sync (exit 0); after an image disappears from one zone, status exits 2 and
// marks that zone's cell behind with the image named.
func TestZonesImagesCLI(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	zoneA := testregistry.New(t, testregistry.Referrers)
	zoneB := testregistry.New(t, testregistry.Distribution, testregistry.WithDeletes()) // an image is removed below
	lock := publishWithImages(t, hub, 2)
	dir := t.TempDir()
	zones := filepath.Join(dir, "zones.yaml")
	doc := fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Replication
hub: {registry: %q, plainHTTP: true}
images: true
zones:
- {name: zone-a, registry: %q, plainHTTP: true, images: %q}
- {name: zone-b, registry: %q, plainHTTP: true, images: %q}
- {name: airgap, registry: "oci-layout:%s"}
rules:
- {repositories: ["platform/**"]}
`, hub.Host, zoneA.Host, zoneA.Host+"/mirror", zoneB.Host, zoneB.Host+"/mirror", filepath.Join(dir, "airgap"))
	if err := os.WriteFile(zones, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	replicate := func(args ...string) string {
		t.Helper()
		out, errOut, err := run(t, append([]string{"replicate", "-f", zones, "--retries", "0"}, args...)...)
		if err != nil {
			t.Fatalf("replicate %v: %v\n%s\n%s", args, err, out, errOut)
		}
		return out
	}
	out := replicate("--dry-run")
	if !strings.Contains(out, "zone-b images: 0 copied, 0 present, 2 planned") || !strings.Contains(out, "would copy "+lock.Images[0].Ref) {
		t.Fatalf("replicate --dry-run:\n%s", out)
	}
	out = replicate()
	for _, want := range []string{"zone-a images: 2 copied", "zone-b images: 2 copied", "airgap images: 2 copied", "zone-b: 1 copied"} {
		if !strings.Contains(out, want) {
			t.Fatalf("replicate: no %q in\n%s", want, out)
		}
	}
	imagesAt(t, zoneA.Host+"/mirror", lock)
	imagesAt(t, zoneB.Host+"/mirror", lock)
	out = replicate("-o", "json")
	var rep struct {
		Zones []struct {
			Name   string `json:"name"`
			Copied int    `json:"copied"`
			Images struct {
				Copied, Present, Failed int
				Images                  []struct{ Image, Status string }
			} `json:"images"`
		} `json:"zones"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Zones) != 3 {
		t.Fatalf("replicate -o json: %v\n%s", err, out)
	}
	for _, z := range rep.Zones {
		if z.Copied != 0 || z.Images.Copied != 0 || z.Images.Present != 2 || len(z.Images.Images) != 2 || z.Images.Images[0].Status != "present" {
			t.Errorf("replicate again, zone %s: %+v", z.Name, z)
		}
	}
	out = mustRun(t, "status", hub.Host+"/platform/app", "-f", zones)
	if strings.Count(out, "in-sync, images ✓ 2/2") != 3 {
		t.Fatalf("status -f after replicate:\n%s", out)
	}
	// from a sidecar config: its images mirror is on zone-a's host, so only zone-a's images are asked for
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, fmt.Sprintf("apiVersion: gitless.dev/v1alpha1\nkind: Config\nimages: {mirror: %q, plainHTTP: true}\n"+
		"policies:\n  - match: \"**\"\n    insecureAcceptUnsigned: true\n", zoneA.Host+"/mirror"))
	out = mustRun(t, "status", hub.Host+"/platform/app", "--zone", zoneA.Host, "--zone", zoneB.Host, "--policy", cfg)
	if !matches(`1\.0\.0 .*✓ in-sync, images ✓ 2/2\s+✓ in-sync\s*$`, out) {
		t.Fatalf("status --policy with an images mirror on zone-a:\n%s", out)
	}

	gone := lock.Images[1]
	o := registry.DefaultOptions()
	o.PlainHTTP = true
	repo, err := o.Remote(images.MirrorName(zoneB.Host+"/mirror", gone.Name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := repo.Resolve(context.Background(), gone.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, append([]string{"status", hub.Host + "/platform/app", "-f", zones}, registryFlags(t)...)...)
	if ExitCode(err) != ExitDrift || !strings.Contains(out, "behind, images ✗ 1/2") ||
		!matches(`zone-b 1\.0\.0: behind: 1 of 2 locked images missing at the zone \(`+regexp.QuoteMeta(gone.Name), out) ||
		strings.Count(out, "in-sync, images ✓ 2/2") != 2 {
		t.Fatalf("status after an image left zone-b: exit %d (%v)\n%s", ExitCode(err), err, out)
	}
}

// TestUsageExitsOne: a usage error exits 1, as kubectl's do, for cobra's own errors (unknown flag or
// command, wrong arguments) and for the commands' checks alike, so that 2 means drift only for
// status and apps (diff keeps kubectl diff's: 1 changed, 2 any error).
func TestUsageExitsOne(t *testing.T) {
	host := testregistry.New(t, testregistry.Referrers).Host
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"status", host + "/app", "--nope"}, 1},
		{[]string{"status"}, 1},
		{[]string{"status", host + "/app"}, 1}, // no zones named
		{[]string{"status", host + "/app", "--zone", host, "-f", "zones.yaml"}, 1},
		{[]string{"status", "other.example.com/app", "-f", "testdata/zones.yaml"}, 1},
		{[]string{"apps", "--nope"}, 1},
		{[]string{"replicate"}, 1},
		{[]string{"tag", host + "/app:1"}, 1},
		{[]string{"frobnicate"}, 1},
		{[]string{"diff", "--nope"}, 2},
		{[]string{"diff", "../nope", host + "/app:1"}, 2},
	} {
		_, _, err := run(t, tt.args...)
		if got := ExitCode(err); got != tt.want {
			t.Errorf("%v: exit %d (%v), want %d", tt.args, got, err, tt.want)
		}
	}
}

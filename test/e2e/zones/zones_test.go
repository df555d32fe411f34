package zones

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const repo = "platform/guestbook"

// TestZones runs the scenarios in order on one world; each step builds on the state the
// previous one left, as an operator's day would.
func TestZones(t *testing.T) {
	w := needWorld(t)
	key := filepath.Join(w.Keys, "cosign.key")
	d1 := publish(t, w, release(t, w, "release 1"), repo, "stable", key)
	t.Logf("release 1 at stable: %s", d1)

	// Per zone: the OCI source form following the tag, the plugin form naming the tag in GITLESS_REF.
	for _, z := range w.Zones {
		if err := z.AddOCIRepository(t.Context(), "guestbook", "oci://"+z.Registry.Host+"/"+repo); err != nil {
			t.Fatal(err)
		}
		create(t, z, application("oci", "oci", ociSource(z, repo, "stable")))
		create(t, z, application("plugin", "plugin", pluginSource(z, repo, d1, w.Hub.Host+"/"+repo+":stable")))
	}
	t.Run("both zones sync release 1, objects equal the render", func(t *testing.T) {
		for _, z := range w.Zones {
			waitApp(t, z, "oci", "Synced at release 1", 5*time.Minute, syncedAt(d1))
			waitApp(t, z, "plugin", "Synced", 5*time.Minute, syncedAt(""))
			want := rendered(t, z, w.Hub.Host+"/"+repo+":stable")
			imageAtZone(t, z, want)
			sameAsRendered(t, z, "oci", want)
			sameAsRendered(t, z, "plugin", want)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	d2 := publish(t, w, release(t, w, "release 2"), repo, "stable", key)
	t.Logf("release 2 at stable: %s", d2)
	t.Run("apps exits 2 while a zone runs the previous digest", func(t *testing.T) {
		rows, code := apps(t, w)
		if code != 2 {
			t.Errorf("apps exited %d, want 2 (the OCI Applications still run release 1)", code)
		}
		for _, r := range rows {
			if r["name"] == "oci" && (r["syncedDigest"] != d1 || r["resolvedDigest"] != d2 || r["drift"] != true || r["verified"] != true) {
				t.Errorf("apps row %v: want synced %s, resolved %s, verified, drift", r, d1, d2)
			}
		}
	})
	t.Run("promotion: the OCI source moves on refresh, the plugin form's tag waits for a hard refresh", func(t *testing.T) {
		for _, z := range w.Zones {
			refresh(t, z, "oci", "normal")
			refresh(t, z, "plugin", "normal")
		}
		for _, z := range w.Zones {
			waitApp(t, z, "oci", "Synced at release 2", 5*time.Minute, syncedAt(d2))
			if g, _ := greeting(t, z, "oci"); g != "release 2" {
				t.Errorf("%s oci: live GREETING %q after promotion", z.Name, g)
			}
		}
		// Argo CD's manifest cache key is the source revision (the pointer digest, unchanged) plus the
		// plugin env: the moved tag is not seen, the zone keeps release 1 and says Synced.
		time.Sleep(10 * time.Second)
		for _, z := range w.Zones {
			waitApp(t, z, "plugin", "Synced", time.Minute, syncedAt(""))
			if g, _ := greeting(t, z, "plugin"); g != "release 1" {
				t.Errorf("%s plugin: live GREETING %q after a normal refresh; Argo CD's manifest cache should have kept release 1", z.Name, g)
			}
		}
		// A hard refresh regenerates (release 2: OutOfSync), but automated sync does not apply it: Argo CD
		// syncs one revision once ("Skipping auto-sync: most recent sync already to <rev>"), and the
		// revision is the unchanged pointer digest. A sync (`argocd app sync`, or selfHeal) applies it.
		z := w.Zone("zone-a")
		refresh(t, z, "plugin", "hard")
		waitApp(t, z, "plugin", "OutOfSync after a hard refresh", 3*time.Minute, outOfSync)
		time.Sleep(10 * time.Second)
		if g, _ := greeting(t, z, "plugin"); g != "release 1" {
			t.Errorf("%s plugin: live GREETING %q: automated sync applied the same revision again", z.Name, g)
		}
		syncNow(t, z, "plugin")
		waitApp(t, z, "plugin", "release 2 after a hard refresh and a sync", 3*time.Minute, func(u *unstructuredObj) error { return greetingIs(t, z, "plugin", "release 2") })
	})
	t.Run("pin moves the plugin form to the digest", func(t *testing.T) {
		policy := appsPolicy(t, w)
		out := gitless(t, w, "pin", "plugin", w.Hub.Host+"/"+repo+":stable", "--policy", policy, "--kubeconfig", w.Kubeconfig,
			"--context", "zone-a", "--context", "zone-b", "--dry-run", "-o", "json")
		var dry []map[string]any
		if err := json.Unmarshal([]byte(out), &dry); err != nil || len(dry) != 2 {
			t.Fatalf("pin --dry-run -o json: %v\n%s", err, out)
		}
		for _, r := range dry {
			if r["dryRun"] != true || !strings.Contains(fmt.Sprint(r["patch"]), `"op":"replace"`) || !strings.HasSuffix(fmt.Sprint(r["to"]), d2) {
				t.Errorf("pin --dry-run: %v", r)
			}
		}
		if g, _ := greeting(t, w.Zone("zone-b"), "plugin"); g != "release 1" {
			t.Fatalf("zone-b moved before pin (dry run): %q", g)
		}
		gitless(t, w, "pin", "plugin", w.Hub.Host+"/"+repo+":stable", "--policy", policy, "--kubeconfig", w.Kubeconfig, "--context", "zone-a", "--context", "zone-b")
		for _, z := range w.Zones {
			waitApp(t, z, "plugin", "release 2 after pin", 3*time.Minute, func(*unstructuredObj) error { return greetingIs(t, z, "plugin", "release 2") })
		}
		rows, code := apps(t, w)
		if code != 0 {
			t.Errorf("apps exited %d after promotion and pin, want 0: %v", code, rows)
		}
		for _, r := range rows {
			if r["syncedDigest"] != d2 {
				t.Errorf("apps row %v: want synced %s", r, d2)
			}
		}
	})
	refused(t, w, d2)
	hubDown(t, w, d2)
}

// refused: an unsigned artifact and one signed by another key give a ComparisonError with the
// sidecar's reason, and the live objects stay as they were.
func refused(t *testing.T, w *World, d2 string) {
	other := filepath.Join(t.TempDir(), "other")
	gitless(t, w, "generate-key-pair", "--output-key-prefix", other)
	unsigned := publish(t, w, release(t, w, "unsigned"), "platform/unsigned", "1", "")
	wrongKey := publish(t, w, release(t, w, "wrong key"), "platform/wrongkey", "1", other+".key")
	z := w.Zone("zone-a")
	for _, c := range []struct{ name, ref, want string }{
		{"unsigned", w.Hub.Host + "/platform/unsigned@" + unsigned, "platform/unsigned@" + unsigned},
		{"wrong key", w.Hub.Host + "/platform/wrongkey@" + wrongKey, "platform/wrongkey@" + wrongKey},
	} {
		t.Run("refused: "+c.name, func(t *testing.T) {
			before, rv := greeting(t, z, "plugin")
			setGitlessRef(t, z, "plugin", c.ref)
			app := waitApp(t, z, "plugin", "ComparisonError", 3*time.Minute, comparisonError(c.want))
			t.Logf("%s: %s", c.name, conditionMessage(app))
			time.Sleep(5 * time.Second)
			if g, rv2 := greeting(t, z, "plugin"); g != before || rv2 != rv {
				t.Errorf("live ConfigMap changed under a refusal: %q rv %s -> %q rv %s", before, rv, g, rv2)
			}
		})
	}
	setGitlessRef(t, z, "plugin", w.Hub.Host+"/"+repo+":stable@"+d2)
	waitApp(t, z, "plugin", "back at release 2", 3*time.Minute, syncedAt(""))
}

// hubDown: with the hub stopped, a pinned digest still syncs from the zone registry; a tampered layer
// and another signed release served under the tag are refused, the live objects unchanged.
func hubDown(t *testing.T, w *World, d2 string) {
	key := filepath.Join(w.Keys, "cosign.key")
	d3 := publish(t, w, release(t, w, "release 3"), repo, "3.0.0", key)
	d4 := publish(t, w, release(t, w, "release 4"), repo, "4.0.0", key)
	w.Hub.Stop()
	defer func() {
		if err := w.Hub.Start(t.Context()); err != nil {
			t.Error(err)
		}
	}()
	zb := w.Zone("zone-b")
	t.Run("hub down: a pinned digest syncs from the zone registry", func(t *testing.T) {
		create(t, zb, application("pinned", "pinned", pluginSource(zb, repo, d2, w.Hub.Host+"/"+repo+"@"+d3)))
		waitApp(t, zb, "pinned", "Synced at release 3 with the hub down", 3*time.Minute, syncedAt(""))
		if g, _ := greeting(t, zb, "pinned"); g != "release 3" {
			t.Errorf("live GREETING %q, want release 3", g)
		}
	})
	za := w.Zone("zone-a")
	t.Run("hub down: a tampered layer in the zone registry is refused", func(t *testing.T) {
		tamperLayer(t, za.Registry, d4)
		before, rv := greeting(t, za, "plugin")
		setGitlessRef(t, za, "plugin", w.Hub.Host+"/"+repo+"@"+d4)
		refresh(t, za, "plugin", "hard")
		app := waitApp(t, za, "plugin", "ComparisonError", 3*time.Minute, comparisonError("digest"))
		t.Logf("tampered: %s", conditionMessage(app))
		if g, rv2 := greeting(t, za, "plugin"); g != before || rv2 != rv {
			t.Errorf("live ConfigMap changed: %q -> %q", before, g)
		}
	})
	t.Run("hub down: another signed release under the tag is refused", func(t *testing.T) {
		moveTag(t, za.Registry, repo, "stable", d3)
		before, rv := greeting(t, za, "plugin")
		// Argo CD's manifest cache holds this very GITLESS_REF's release 2 from before: the change of
		// source is answered from it (Synced, release 2, verified when it was cached), and only a hard
		// refresh asks the sidecar, which now sees the zone's tag on release 3.
		ref := w.Hub.Host + "/" + repo + ":stable"
		setGitlessRef(t, za, "plugin", ref)
		waitApp(t, za, "plugin", "compared with "+ref, 3*time.Minute, comparedWith(ref))
		refresh(t, za, "plugin", "hard")
		app := waitApp(t, za, "plugin", "ComparisonError", 3*time.Minute, comparisonError("stable"))
		t.Logf("tag moved to release 3: %s", conditionMessage(app))
		if g, rv2 := greeting(t, za, "plugin"); g != before || rv2 != rv {
			t.Errorf("live ConfigMap changed: %q -> %q", before, g)
		}
	})
}

// tamperLayer flips a byte of the artifact's layer in the registry's own storage (Distribution's
// filesystem driver), as a compromised zone registry would serve it.
func tamperLayer(t *testing.T, r *Registry, manifestDigest string) {
	t.Helper()
	blob := func(d string) string {
		h := strings.TrimPrefix(d, "sha256:")
		return filepath.Join(r.Dir, "data", "docker", "registry", "v2", "blobs", "sha256", h[:2], h, "data")
	}
	b, err := os.ReadFile(blob(manifestDigest))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.Unmarshal(b, &m); err != nil || len(m.Layers) == 0 {
		t.Fatalf("reading the manifest: %v", err)
	}
	p := blob(m.Layers[0].Digest)
	layer, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	layer[len(layer)/2] ^= 0xff
	if err := os.WriteFile(p, layer, 0o644); err != nil {
		t.Fatal(err)
	}
}

// moveTag points tag at digest in the registry's own storage.
func moveTag(t *testing.T, r *Registry, repo, tag, digest string) {
	t.Helper()
	dir := filepath.Join(r.Dir, "data", "docker", "registry", "v2", "repositories", repo, "_manifests", "tags", tag, "current")
	if err := os.WriteFile(filepath.Join(dir, "link"), []byte(digest), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appsPolicy is a config for kubectl gitless apps and pin: the hub with both zone registries as
// mirrors, and the world's key.
func appsPolicy(t *testing.T, w *World) string {
	t.Helper()
	mirrors := ""
	for _, z := range w.Zones {
		mirrors += "{host: \"" + z.Registry.Host + "\", plainHTTP: true}, "
	}
	cfg := "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: \"" + w.Hub.Host + "\"\n    plainHTTP: true\n    mirrors: [" +
		strings.TrimSuffix(mirrors, ", ") + "]\npolicies:\n  - match: \"" + w.Hub.Host + "/platform/**\"\n    keys: [\"" + filepath.Join(w.Keys, "cosign.pub") + "\"]\n"
	p := filepath.Join(t.TempDir(), "gitless.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// apps runs kubectl gitless apps across both zones and returns its rows and exit code.
func apps(t *testing.T, w *World) ([]map[string]any, int) {
	t.Helper()
	cmd := exec.Command(w.bin("kubectl-gitless"), "apps", "--kubeconfig", w.Kubeconfig, "--context", "zone-a", "--context", "zone-b",
		"--policy", appsPolicy(t, w), "-o", "json")
	var errOut strings.Builder
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("apps -o json: %v\n%s\n%s", err, out, errOut.String())
	}
	t.Logf("apps (exit %d):\n%s%s", code, out, errOut.String())
	return rows, code
}

type unstructuredObj = unstructured.Unstructured

func greetingIs(_ *testing.T, z *Zone, ns, want string) error {
	cm, err := z.Resource(configMapGVR).Namespace(ns).Get(context.Background(), "hello-config", metav1.GetOptions{})
	if err != nil {
		return err
	}
	if g, _, _ := unstructured.NestedString(cm.Object, "data", "GREETING"); g != want {
		return fmt.Errorf("live GREETING %q, want %q", g, want)
	}
	return nil
}

package cmd

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
)

// TestTagSignTwiceWritesNothing: promoting again with --sign, when a signature by the same key in the
// same format already binds the tag to the digest, writes nothing (as copy's re-run), for both
// cosign storage forms; another key signs.
func TestTagSignTwiceWritesNothing(t *testing.T) {
	var writes atomic.Int64
	hub := testregistry.New(t, testregistry.Distribution, testregistry.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				writes.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}))
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "cli")
	keyPair(t, dir, "cosign")
	keyPair(t, dir, "other")
	key, pub := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	app := hub.Host + "/platform/app"
	mustRun(t, "publish", exampleCopy(t, "plain"), app+":1.0.0", "-q")
	for _, format := range []string{"bundle", "legacy"} {
		tag := "prod-" + format
		mustRun(t, "tag", app+":1.0.0", tag, "--sign", "--key", key, "--signature-format", format)
		before := writes.Load()
		_, errOut, err := run(t, append([]string{"tag", app + ":1.0.0", tag, "--sign", "--key", key, "--signature-format", format}, registryFlags(t)...)...)
		if err != nil || !strings.Contains(errOut, "already signed with this key") {
			t.Fatalf("%s: tag --sign again: %v\n%s", format, err, errOut)
		}
		if n := writes.Load() - before; n != 0 {
			t.Errorf("%s: tag --sign again wrote %d times", format, n)
		}
		mustRun(t, "verify", app+":"+tag, "--key", pub)
		before = writes.Load()
		mustRun(t, "tag", app+":1.0.0", tag, "--sign", "--key", filepath.Join(dir, "other.key"), "--signature-format", format)
		if writes.Load() == before {
			t.Errorf("%s: tag --sign with another key wrote nothing", format)
		}
	}
}

// TestTagLayout: tag and tag --sign work on an oci-layout: directory (an air gap); signing there needs
// the repository the binding names (the layout's own path verifies nowhere else); a re-run writes
// nothing, and a copy out of the layout carries the signed tag to a zone, where it verifies under the
// hub's name and the unsigned tag does not.
func TestTagLayout(t *testing.T) {
	zone := testregistry.New(t, testregistry.Referrers)
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "cli")
	keyPair(t, dir, "cosign")
	key, pub := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	layout := "oci-layout:" + filepath.Join(dir, "transfer")
	mustRun(t, "publish", exampleCopy(t, "plain"), layout+":1.0.0", "-q", "--sign", "--key", key)
	mustRun(t, "tag", layout+":1.0.0", "stable")
	if _, _, err := run(t, "verify", layout+":stable", "--key", pub); ExitCode(err) != 12 {
		t.Fatalf("an unsigned tag in the layout verified: exit %d (%v)", ExitCode(err), err)
	}
	_, errOut, err := run(t, "tag", layout+":1.0.0", "prod", "--sign", "--key", key)
	if ExitCode(err) != ExitUsage || !strings.Contains(errOut, "--sign-container-identity") {
		t.Fatalf("tag --sign in a layout without the repository to bind: exit %d (%v)\n%s", ExitCode(err), err, errOut)
	}
	hubName := "hub.example.com/platform/app"
	signProd := []string{"tag", layout + ":1.0.0", "prod", "--sign", "--key", key, "--sign-container-identity", hubName}
	mustRun(t, signProd...)
	index := filepath.Join(dir, "transfer", "index.json")
	before, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, err = run(t, signProd...)
	if after, _ := os.ReadFile(index); err != nil || string(after) != string(before) || !strings.Contains(errOut, "already signed") {
		t.Fatalf("tag --sign again in the layout: %v, index changed %v\n%s", err, string(after) != string(before), errOut)
	}
	mustRun(t, "copy", layout+":prod", zone.Host+"/platform/app")
	// the zone verifies the binding under the hub's name, its mirror mapped back as the sidecar does
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
- host: hub.example.com
  mirrors: [{host: %q, plainHTTP: true}]
policies:
- match: "hub.example.com/**"
  keys: [%q]
`, zone.Host, pub))
	mustRun(t, "verify", zone.Host+"/platform/app:prod", "--policy", cfg)
	if _, _, err := run(t, append([]string{"verify", zone.Host + "/platform/app:stable", "--policy", cfg}, registryFlags(t)...)...); err == nil {
		t.Fatal("stable (never signed) verified at the zone")
	}
}

func keyPair(t *testing.T, dir, name string) {
	t.Helper()
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, name)); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
}

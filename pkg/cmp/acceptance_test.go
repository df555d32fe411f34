package cmp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestGenerateAcceptanceFollowsPolicyAndKeys: a warm generate takes the acceptance from the cache
// (argocd-cmp then starts no verifier), but only for the same policy and the same key material: a
// key file replaced, a key added to the key directory or a policy edited is a miss, and a replaced
// key refuses the artifact although its bytes and the old acceptance are cached.
func TestGenerateAcceptanceFollowsPolicyAndKeys(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	keys := t.TempDir()
	pub, err := os.ReadFile(filepath.Join(w.keyDir, "cosign.pub"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(keys, "a.pub"), pub, 0o644))
	cfgWith := func(extra string) *config.Config {
		c, err := config.Parse([]byte(fmt.Sprintf("apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: %s\n    plainHTTP: true\n"+
			"policies:\n  - match: \"%s/platform/**\"\n    keys: [%s]\n%s", w.hub.Host, w.hub.Host, keys, extra)))
		must(t, err)
		return c
	}
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	env := cmp.Env{AppName: "gb", AppNamespace: "apps", Params: cmp.Params{Ref: w.refs["plain"]}}
	run := func(step string, cfg *config.Config, wantCached bool) {
		t.Helper()
		out, logs, err := generate(t, cfg, c, env)
		if err != nil || out == "" {
			t.Fatalf("%s: %v\n%s", step, err, logs)
		}
		if got := strings.Contains(logs, `"msg":"verified (cached)"`); got != wantCached {
			t.Fatalf("%s: cached acceptance %t, want %t\n%s", step, got, wantCached, logs)
		}
	}
	run("cold", cfgWith(""), false)
	run("warm", cfgWith(""), true)
	run("policy edited", cfgWith("    allowEmpty: true\n"), false)
	run("warm again", cfgWith(""), true)

	_, other, err := signature.GenerateKeyPair([]byte("x"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(keys, "b.pub"), other, 0o644))
	run("key added to the directory", cfgWith(""), false)

	must(t, os.Remove(filepath.Join(keys, "b.pub")))
	must(t, os.WriteFile(filepath.Join(keys, "a.pub"), other, 0o644))
	out, logs, err := generate(t, cfgWith(""), c, env)
	if err == nil || out != "" || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("key replaced: the cached acceptance let it through: err %v, %d bytes\n%s", err, len(out), logs)
	}
}

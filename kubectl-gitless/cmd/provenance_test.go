package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// gitRepo turns dir into a git repository on branch main with one commit and origin url.
func gitRepo(t *testing.T, dir, url string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	env := append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "c"}, {"remote", "add", "origin", url}} {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// TestProvenanceCLI: publish --sign attaches provenance from the checkout; verify --policy accepts it
// only from the allowed source and ref (exit 12 otherwise, 10 without any); attest adds it to an
// artifact published without; inspect shows it; a dirty checkout is refused without --allow-dirty.
func TestProvenanceCLI(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			hub := testregistry.New(t, kind)
			dir := t.TempDir()
			t.Setenv("COSIGN_PASSWORD", "cli")
			if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
				t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
			}
			key, pub := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
			src := exampleCopy(t, "plain")
			gitRepo(t, src, "https://deploy:token@git.example.com/platform/app.git")
			app := hub.Host + "/platform/app"
			mustRun(t, "publish", src, app+":1.0.0", "--sign", "--key", key, "-q", "--builder-id", "https://ci.example.com/p/1")
			mustRun(t, "publish", exampleCopy(t, "plain/service.yaml"), app+":later", "--sign", "--key", key, "-q",
				"--signature-format", "legacy") // outside git: provenance without a source

			policy := func(name, prov string) string {
				p := filepath.Join(dir, name+".yaml")
				cfg := "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: \"" + hub.Host + "\"\n    plainHTTP: true\n" +
					"policies:\n  - match: \"" + hub.Host + "/platform/**\"\n    keys: [\"" + pub + "\"]\n    provenance: " + prov + "\n"
				if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			pinned := policy("pinned", `{sourceRepositories: ["https://git.example.com/platform/*"], refs: [refs/heads/main], builderIds: ["https://ci.example.com/**"]}`)
			out := mustRun(t, "verify", app+":1.0.0", "--policy", pinned)
			if !strings.Contains(out, "Provenance accepted: source https://git.example.com/platform/app.git") || !strings.Contains(out, "ref refs/heads/main") {
				t.Fatalf("verify output:\n%s", out)
			}
			if out := mustRun(t, "verify", app+":1.0.0", "--policy", pinned, "-o", "json"); !strings.Contains(out, `"provenance"`) {
				t.Fatalf("verify -o json lacks provenance:\n%s", out)
			}
			if out := mustRun(t, "inspect", app+":1.0.0", "--no-files"); !strings.Contains(out, "ref refs/heads/main") || !strings.Contains(out, "builder https://ci.example.com/p/1") {
				t.Fatalf("inspect lacks the provenance:\n%s", out)
			}
			for _, c := range []struct {
				name string
				args []string
				want int
				says string
			}{
				{"ref not allowed", []string{"verify", app + ":1.0.0", "--policy", policy("tags", `{refs: ["refs/tags/*"]}`)}, signature.ExitNoValid, "provenance ref refs/heads/main is not allowed"},
				{"source not allowed", []string{"verify", app + ":1.0.0", "--policy", policy("other", `{sourceRepositories: ["https://git.example.com/other/*"]}`)}, signature.ExitNoValid, "source repository"},
				{"no source recorded", []string{"verify", app + ":later", "--policy", pinned}, signature.ExitNoValid, "(none recorded)"},
			} {
				_, errOut, err := run(t, append(c.args, registryFlags(t)...)...)
				if got := ExitCode(err); got != c.want || !strings.Contains(errOut+err.Error(), c.says) {
					t.Fatalf("%s: exit %d (want %d): %v", c.name, got, c.want, err)
				}
			}

			// published and signed without provenance, then attested
			pinnedRef := strings.TrimSpace(mustRun(t, "publish", exampleCopy(t, "plain/configmap.yaml"), app+":bare", "-q"))
			mustRun(t, "sign", app+":bare", "--key", key)
			if _, _, err := run(t, append([]string{"verify", app + ":bare", "--policy", pinned}, registryFlags(t)...)...); ExitCode(err) != signature.ExitNoSignature {
				t.Fatalf("no provenance: exit %d, %v", ExitCode(err), err)
			}
			mustRun(t, "attest", pinnedRef, "--key", key, "--source", "https://git.example.com/platform/app", "--revision", "abc",
				"--source-ref", "refs/heads/main", "--builder-id", "https://ci.example.com/p/2")
			mustRun(t, "verify", app+":bare", "--policy", pinned)

			// a dirty checkout
			if err := os.WriteFile(filepath.Join(src, "extra.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := run(t, append([]string{"publish", src, app + ":dirty", "-q"}, registryFlags(t)...)...)
			if err == nil || !strings.Contains(err.Error(), "extra.yaml") || !strings.Contains(err.Error(), "--allow-dirty") {
				t.Fatalf("dirty publish: %v", err)
			}
			out = mustRun(t, "publish", src, app+":dirty", "-q", "--allow-dirty", "-o", "json")
			if !strings.Contains(out, `-dirty"`) {
				t.Fatalf("--allow-dirty output lacks the dirty revision:\n%s", out)
			}
		})
	}
}

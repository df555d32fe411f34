package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
)

// TestRenderProject (issue 15): render, diff and verify with --policy decide for --project as the
// sidecar does for an Application of that project: team B is refused team A's artifact with empty
// stdout and a message naming project, repository and policy; no project is refused by a scoped
// policy; --project without --policy is a usage error; and verify warns about a config that names
// several teams' repositories without any projects scope.
func TestRenderProject(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "cli")
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
	app := hub.Host + "/team-a/app:1.0.0"
	mustRun(t, "publish", exampleCopy(t, "plain"), app, "--sign", "--key", filepath.Join(dir, "cosign.key"), "-q")
	policy := func(name, scopeA string) string {
		p := filepath.Join(dir, name)
		doc := fmt.Sprintf("apiVersion: gitless.dev/v1alpha1\nkind: Config\npolicies:\n"+
			"  - {match: \"%[1]s/team-a/**\", keys: [%[2]q]%[3]s}\n  - {match: \"%[1]s/team-b/**\", keys: [%[2]q]}\n",
			hub.Host, filepath.Join(dir, "cosign.pub"), scopeA)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	scoped, unscoped := policy("scoped.yaml", ", projects: [team-a]"), policy("unscoped.yaml", "")

	if out := mustRun(t, "render", app, "--policy", scoped, "--project", "team-a"); !strings.Contains(out, "kind: Deployment") {
		t.Fatalf("render for team-a: %s", out)
	}
	refusals := []struct {
		name string
		args []string
		want []string
	}{
		{"render for team B", []string{"render", app, "--policy", scoped, "--project", "team-b"}, []string{`project "team-b"`, "team-a/app", "team-a/**"}},
		{"render without a project", []string{"render", app, "--policy", scoped}, []string{"names no Argo CD project", "team-a/app", "--project"}},
		{"diff for team B", []string{"diff", app, app, "--policy", scoped, "--project", "team-b"}, []string{`project "team-b"`}},
		{"verify for team B", []string{"verify", app, "--policy", scoped, "--project", "team-b"}, []string{`project "team-b"`}},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			out, errOut, err := run(t, append(r.args, registryFlags(t)...)...)
			if err == nil || out != "" {
				t.Fatalf("err %v, stdout %q; want a refusal with empty stdout", err, out)
			}
			for _, s := range r.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("refusal %q (stderr %q) does not name %q", err, errOut, s)
				}
			}
		})
	}
	if _, _, err := run(t, append([]string{"render", app, "--key", filepath.Join(dir, "cosign.pub"), "--project", "team-a"}, registryFlags(t)...)...); ExitCode(err) != ExitUsage {
		t.Fatalf("--project without --policy: exit %d (%v), want %d", ExitCode(err), err, ExitUsage)
	}
	_, errOut, err := run(t, append([]string{"verify", app, "--policy", unscoped}, registryFlags(t)...)...)
	if err != nil || !strings.Contains(errOut, "no policy has a projects scope") {
		t.Fatalf("verify with an unscoped multi-team config: %v; stderr lacks the warning:\n%s", err, errOut)
	}
	_, errOut, err = run(t, append([]string{"verify", app, "--policy", scoped, "--project", "team-a"}, registryFlags(t)...)...)
	if err != nil || strings.Contains(errOut, "projects scope") {
		t.Fatalf("verify for team-a with a scoped config: %v\n%s", err, errOut)
	}
}

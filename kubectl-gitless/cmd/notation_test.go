package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestNotationCLI signs with --format notation, then verifies with the notation flags and with a
// policy file (verify, render --policy), copies it, inspects the signer, and checks the exit
// codes of what is refused.
func TestNotationCLI(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			hub := testregistry.New(t, kind)
			zone := testregistry.New(t, kind)
			dir := t.TempDir()
			ca := sigtest.NewCA(t, "notation cli root")
			leaf := ca.IssueNotation(t, dir, "platform", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			stranger := sigtest.NewCA(t, "stranger").IssueNotation(t, dir, "stranger", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			app := hub.Host + "/platform/app"
			mustRun(t, "publish", exampleCopy(t, "plain"), app+":1.0.0", "-q")
			mustRun(t, "publish", exampleCopy(t, "plain/service.yaml"), app+":stranger", "-q")
			out := mustRun(t, "sign", app+":1.0.0", "--format", "notation", "--key", leaf.KeyPath, "--cert", leaf.CertPath, "-o", "json")
			var sr signResult
			if err := json.Unmarshal([]byte(out), &sr); err != nil || sr.Format != "notation" || sr.Tag != "1.0.0" {
				t.Fatalf("sign -o json: %v\n%s", err, out)
			}
			mustRun(t, "sign", app+":stranger", "--signature-format", "notation", "--notation-envelope", "cose", "--key", stranger.KeyPath, "--cert", stranger.CertPath)

			trust := []string{"--notation-certificate", leaf.RootPath, "--notation-identity", leaf.Subject}
			out = mustRun(t, append([]string{"verify", app + ":1.0.0", "-o", "json"}, trust...)...)
			var res signature.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil || !res.TagBound || res.Signatures[0].Format != signature.FormatNotation {
				t.Fatalf("verify -o json: %v\n%s", err, out)
			}
			inspected := mustRun(t, "inspect", app+":1.0.0", "--no-files")
			if !strings.Contains(inspected, "Notation signature") || !strings.Contains(inspected, "signer (unverified): CN=platform,O=platform,ST=WA,C=US") {
				t.Fatalf("inspect:\n%s", inspected)
			}

			codes := []struct {
				name string
				args []string
				want int
			}{
				{"another CA", append([]string{"verify", app + ":stranger"}, trust...), signature.ExitNoValid},
				{"identity not trusted", []string{"verify", app + ":1.0.0", "--notation-certificate", leaf.RootPath, "--notation-identity", "x509.subject: C=US, ST=WA, O=acme, CN=acme"}, signature.ExitNoValid},
				{"certificate without identity", []string{"verify", app + ":1.0.0", "--notation-certificate", leaf.RootPath}, ExitUsage},
				{"notation without --cert", []string{"sign", app + ":1.0.0", "--format", "notation", "--key", leaf.KeyPath}, ExitUsage},
			}
			for _, c := range codes {
				t.Run(c.name, func(t *testing.T) {
					out, errOut, err := run(t, append(c.args, registryFlags(t)...)...)
					if got := ExitCode(err); got != c.want || out != "" {
						t.Fatalf("exit %d (want %d), err %v, stdout %q, stderr %s", got, c.want, err, out, errOut)
					}
				})
			}

			policy := filepath.Join(dir, "config.yaml")
			cfg := "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: \"" + zone.Host + "\"\n    plainHTTP: true\n" +
				"policies:\n  - match: \"**/platform/**\"\n    notation:\n      certificates: [\"" + leaf.RootPath + "\"]\n" +
				"      trustedIdentities: [\"" + leaf.Subject + "\"]\n"
			if err := os.WriteFile(policy, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			mustRun(t, "copy", app+":1.0.0", zone.Host+"/platform/app") // carries the Notation referrer
			mustRun(t, "verify", zone.Host+"/platform/app:1.0.0", "--policy", policy)
			if rendered := mustRun(t, "render", zone.Host+"/platform/app:1.0.0", "--policy", policy); !strings.Contains(rendered, "kind: Deployment") {
				t.Fatalf("render: %s", rendered)
			}
			mustRun(t, "copy", app+":stranger", zone.Host+"/platform/app")
			if _, _, err := run(t, append([]string{"render", zone.Host + "/platform/app:stranger", "--policy", policy}, registryFlags(t)...)...); ExitCode(err) != signature.ExitNoValid {
				t.Fatalf("render --policy of a stranger's signature: exit %d, %v", ExitCode(err), err)
			}
		})
	}
}

package cmd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
)

// TestPublishChecks drives publish's refusals as a user meets them: empty content, content that does
// not render, and an unsigned publish onto a signed tag; and the flags that say it is intended.
func TestPublishChecks(t *testing.T) {
	reg := testregistry.New(t, testregistry.Referrers)
	app := reg.Host + "/platform/app"
	key := filepath.Join(t.TempDir(), "cosign")
	t.Setenv("COSIGN_PASSWORD", "cli")
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", key); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
	signed := strings.TrimSpace(mustRun(t, "publish", exampleCopy(t, "plain"), app+":1.0.0", "--sign", "--key", key+".key", "-q"))
	oldDigest := signed[strings.Index(signed, "@")+1:]
	notRendering := exampleCopy(t, "helm/guestbook/templates") // templates without Chart.yaml: plain YAML that does not parse
	cases := []struct {
		name     string
		args     []string
		wantErr  []string // substrings of stderr/err; nil means success
		wantWarn string   // substring of stderr on success
	}{
		{"empty", []string{"publish", t.TempDir(), app + ":empty"}, []string{"renders no objects", "--allow-empty"}, ""},
		{"empty allowed", []string{"publish", t.TempDir(), app + ":empty", "--allow-empty"}, nil, ""},
		{"does not render", []string{"publish", notRendering, app + ":broken"}, []string{"does not render", "--skip-render-check"}, ""},
		{"does not render, skipped", []string{"publish", notRendering, app + ":broken", "--skip-render-check"}, nil, ""},
		{"signed tag", []string{"publish", exampleCopy(t, "plain/service.yaml"), app + ":1.0.0"}, []string{oldDigest, "--force"}, ""},
		{"signed tag, --force", []string{"publish", exampleCopy(t, "plain/service.yaml"), app + ":1.0.0", "--force"}, nil, oldDigest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := run(t, append(append(c.args, "-q"), registryFlags(t)...)...)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("%v\n%s", err, errOut)
				}
				if !strings.Contains(errOut, c.wantWarn) || (c.wantWarn != "" && !strings.Contains(errOut, "Warning:")) {
					t.Errorf("stderr %q lacks a warning naming %q", errOut, c.wantWarn)
				}
				return
			}
			if err == nil || out != "" || ExitCode(err) != ExitError {
				t.Fatalf("err = %v (exit %d), stdout %q; want a refusal with exit %d and no stdout", err, ExitCode(err), out, ExitError)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

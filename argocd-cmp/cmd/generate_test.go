package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
	"github.com/gitless-dev/gitless/pkg/version"
)

// sidecar is a hub holding a signed and an unsigned artifact, an empty zone mirror (not yet
// replicated: every object is skipped there) and a key, as argocd-cmp sees them.
type sidecar struct {
	hub, zone *testregistry.Registry
	pub       string
	signed    string // hub/platform/app:signed
	unsigned  string // hub/platform/app:unsigned
}

func newSidecar(t *testing.T) *sidecar {
	t.Helper()
	s := &sidecar{hub: testregistry.New(t, testregistry.Referrers), zone: testregistry.New(t, testregistry.Referrers)}
	dir := t.TempDir()
	priv, pub, err := signature.GenerateKeyPair([]byte("pw"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "cosign.key"), priv, 0o600))
	s.pub = filepath.Join(dir, "cosign.pub")
	must(t, os.WriteFile(s.pub, pub, 0o644))
	signer, err := signature.LoadSigner(filepath.Join(dir, "cosign.key"), []byte("pw"))
	must(t, err)
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	for _, tag := range []string{"signed", "unsigned"} {
		ref, err := registry.ParseReference(s.hub.Host + "/platform/app:" + tag)
		must(t, err)
		repo, err := opts.Open(ref)
		must(t, err)
		_, err = artifact.Publish(context.Background(), repo, ref, "../../examples/plain", []string{tag}, artifact.PublishOptions{Created: time.Unix(1700000000, 0)})
		must(t, err)
		if tag == "signed" {
			_, _, err = signature.SignReference(context.Background(), repo, signer, ref.Name(), tag)
			must(t, err)
		}
	}
	s.signed, s.unsigned = s.hub.Host+"/platform/app:signed", s.hub.Host+"/platform/app:unsigned"
	return s
}

// config writes the sidecar's config; hubPlainHTTP false makes the hub unreachable over HTTPS.
func (s *sidecar) config(t *testing.T, hubPlainHTTP bool) string {
	p := filepath.Join(t.TempDir(), "config.yaml")
	must(t, os.WriteFile(p, []byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: %v
    mirrors: [{host: %s, plainHTTP: true}]
policies:
  - match: "%s/platform/**"
    keys: [%s]
`, s.hub.Host, hubPlainHTTP, s.zone.Host, s.hub.Host, s.pub)), 0o644))
	return p
}

func runCmp(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, k := range []string{"GITLESS_LOG_LEVEL", "GITLESS_LOG_FORMAT", "ARGOCD_APP_PARAMETERS", "ARGOCD_APP_SOURCE_REPO_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("GITLESS_CACHE_DIR", t.TempDir())
	t.Setenv("ARGOCD_APP_NAME", "guestbook")
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = Execute(ctx, args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// TestGenerateStderr: Argo CD shows a failing generate's stderr as the Application's condition, so it
// must be the one line that matters; a success logs warnings only, skips summarised in one line.
func TestGenerateStderr(t *testing.T) {
	s := newSidecar(t)
	cases := []struct {
		name     string
		env      map[string]string
		wantCode int
		check    func(t *testing.T, stdout, stderr string)
	}{
		{"unsigned: one line naming the cause", map[string]string{"GITLESS_CONFIG": s.config(t, true), "ARGOCD_ENV_GITLESS_REF": s.unsigned}, ExitError,
			func(t *testing.T, stdout, stderr string) {
				if l := lines(stderr); len(l) != 1 || !strings.HasPrefix(l[0], "gitless: ") || !strings.Contains(l[0], "signature") {
					t.Errorf("stderr is not one line naming the signature:\n%s", stderr)
				}
			}},
		{"HTTP hub configured as HTTPS: the hint names the config key", map[string]string{"GITLESS_CONFIG": s.config(t, false), "ARGOCD_ENV_GITLESS_REF": s.signed}, ExitError,
			func(t *testing.T, stdout, stderr string) {
				if l := lines(stderr); len(l) != 1 || !strings.Contains(l[0], "plainHTTP: true") || strings.Contains(l[0], "--plain-http") {
					t.Errorf("stderr is not one line naming plainHTTP: true (and no flag):\n%s", stderr)
				}
			}},
		{"success: skips in one warning, no INFO", map[string]string{"GITLESS_CONFIG": s.config(t, true), "ARGOCD_ENV_GITLESS_REF": s.signed}, ExitOK,
			func(t *testing.T, stdout, stderr string) {
				if !strings.Contains(stdout, "kind: Deployment") {
					t.Errorf("stdout lacks the manifests:\n%s", stdout)
				}
				if strings.Contains(stderr, "level=INFO") || strings.Count(stderr, "source skipped") != 1 || len(lines(stderr)) != 1 {
					t.Errorf("stderr is not one summary of skipped sources:\n%s", stderr)
				}
			}},
		{"GITLESS_LOG_LEVEL=info raises the level", map[string]string{"GITLESS_CONFIG": s.config(t, true), "ARGOCD_ENV_GITLESS_REF": s.signed, "GITLESS_LOG_LEVEL": "info"}, ExitOK,
			func(t *testing.T, stdout, stderr string) {
				if !strings.Contains(stderr, "level=INFO") || !strings.Contains(stderr, "msg=verified") {
					t.Errorf("stderr lacks the INFO lines asked for:\n%s", stderr)
				}
			}},
		{"bad GITLESS_LOG_LEVEL", map[string]string{"GITLESS_CONFIG": s.config(t, true), "ARGOCD_ENV_GITLESS_REF": s.signed, "GITLESS_LOG_LEVEL": "loud"}, ExitError,
			func(t *testing.T, stdout, stderr string) {
				if l := lines(stderr); len(l) != 1 || !strings.Contains(l[0], "GITLESS_LOG_LEVEL") {
					t.Errorf("stderr:\n%s", stderr)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmp(t, c.env, "generate")
			if code != c.wantCode {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, c.wantCode, stderr)
			}
			if c.wantCode != ExitOK && stdout != "" {
				t.Errorf("a failing generate wrote stdout:\n%s", stdout)
			}
			c.check(t, stdout, stderr)
		})
	}
}

func TestVersionAndUsage(t *testing.T) {
	cases := []struct {
		args                 []string
		wantCode             int
		wantStdout, wantErrs string
	}{
		{[]string{"version"}, ExitOK, version.Version + "\n", ""},
		{[]string{"bogus"}, ExitUsage, "", `unknown command "bogus"`},
		{[]string{}, ExitUsage, "", "a command is required"},
		{[]string{"generate", "extra"}, ExitUsage, "", "unknown command"},
		{[]string{"generate", "--bogus"}, ExitUsage, "", "unknown flag"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmp(t, nil, c.args...)
			if code != c.wantCode || stdout != c.wantStdout || !strings.Contains(stderr, c.wantErrs) {
				t.Fatalf("exit %d stdout %q stderr %q; want exit %d stdout %q stderr with %q", code, stdout, stderr, c.wantCode, c.wantStdout, c.wantErrs)
			}
			if c.wantCode == ExitUsage && !strings.Contains(stderr, "Usage:") {
				t.Errorf("a usage error without the usage:\n%s", stderr)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

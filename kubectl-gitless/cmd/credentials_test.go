package cmd

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
)

// authLog records the Authorization headers a registry received.
type authLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *authLog) add(h string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h != "" {
		l.seen = append(l.seen, h)
	}
}

func (l *authLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}

// basicAuth demands user:password for every request, and logs what it was sent.
func basicAuth(user, password string, log *authLog) testregistry.Option {
	return testregistry.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.add(r.Header.Get("Authorization"))
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// TestCredentialsStayWithTheirHost: render and diff bind --username/--password-stdin to the
// reference's host, so a mirror that asks for credentials never receives the hub's (it is skipped and
// the hub serves); copy sends --from-* credentials only to SRC and --to-* only to the destinations.
func TestCredentialsStayWithTheirHost(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	var hubLog, mirrorLog, zoneLog authLog
	hub := testregistry.New(t, testregistry.Referrers, basicAuth("hubuser", "hubpw", &hubLog))
	mirror := testregistry.New(t, testregistry.Referrers, basicAuth("zoneuser", "zonepw", &mirrorLog))
	zone := testregistry.New(t, testregistry.Distribution, basicAuth("zoneuser", "zonepw", &zoneLog))
	app := hub.Host + "/platform/app:1.0.0"
	withFlags := func(args ...string) []string { return append(args, registryFlags(t)...) }

	if _, errOut, err := runStdin(t, "hubpw\n", withFlags("publish", exampleCopy(t, "plain"), app, "-q", "-u", "hubuser", "--password-stdin")...); err != nil {
		t.Fatalf("publish: %v\n%s", err, errOut)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	writeFile(t, cfg, "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries:\n  - host: \""+hub.Host+"\"\n    plainHTTP: true\n"+
		"    mirrors: [{host: \""+mirror.Host+"\", plainHTTP: true}]\npolicies:\n  - match: \"**\"\n    insecureAcceptUnsigned: true\n")
	before := mirror.Requests()
	out, errOut, err := runStdin(t, "hubpw\n", withFlags("render", app, "--policy", cfg, "-u", "hubuser", "--password-stdin")...)
	if err != nil || !strings.Contains(out, "kind: Deployment") {
		t.Fatalf("render: %v\n%s\n%s", err, out, errOut)
	}
	if _, errOut, err := runStdin(t, "hubpw\n", withFlags("diff", app, exampleCopy(t, "plain"), "--policy", cfg, "-u", "hubuser", "--password-stdin")...); err != nil {
		t.Fatalf("diff: %v\n%s", err, errOut)
	}
	if mirror.Requests() == before {
		t.Fatal("the mirror was never asked: the test proves nothing")
	}
	if got := mirrorLog.all(); len(got) > 0 {
		t.Errorf("the mirror received Authorization headers %q; the hub's credentials must stay with the hub", got)
	}

	// copy: hub credentials through a docker config (--from-*: --registry-config), zone's through --to-*
	dockerCfg := filepath.Join(dir, "docker.json")
	writeFile(t, dockerCfg, `{"auths":{"`+hub.Host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("hubuser:hubpw"))+`"}}}`)
	out, errOut, err = runStdin(t, "zonepw\n", "copy", app, zone.Host+"/platform/app", "--plain-http", "--retries", "0",
		"--registry-config", dockerCfg, "--to-registry-config", filepath.Join(dir, "none.json"), "--to-username", "zoneuser", "--to-password-stdin")
	if err != nil {
		t.Fatalf("copy with --to-username: %v\n%s\n%s", err, out, errOut)
	}
	for _, h := range zoneLog.all() {
		if h != basic("zoneuser", "zonepw") {
			t.Errorf("the destination received %q", h)
		}
	}
	for _, h := range hubLog.all() {
		if h != basic("hubuser", "hubpw") {
			t.Errorf("the source received %q", h)
		}
	}
	// --from-username/--from-password-stdin are the source's -u/--password-stdin
	if _, errOut, err := runStdin(t, "hubpw\n", "copy", app, zone.Host+"/platform/app2", "--plain-http", "--retries", "0",
		"--registry-config", filepath.Join(dir, "none.json"), "--from-username", "hubuser", "--from-password-stdin",
		"--to-registry-config", dockerCfgFor(t, dir, zone.Host, "zoneuser", "zonepw")); err != nil {
		t.Fatalf("copy with --from-username: %v\n%s", err, errOut)
	}
	for _, h := range zoneLog.all() {
		if h == basic("hubuser", "hubpw") {
			t.Error("the destination received the source's credentials")
		}
	}
}

func dockerCfgFor(t *testing.T, dir, host, user, pw string) string {
	p := filepath.Join(dir, "docker-"+strings.ReplaceAll(host, ":", "_")+".json")
	writeFile(t, p, `{"auths":{"`+host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(user+":"+pw))+`"}}}`)
	return p
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

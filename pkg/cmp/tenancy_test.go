package cmp_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestGenerateProjectScope (issue 15): a policy scoped to projects renders only for Applications of
// those projects; another project's Application naming the artifact, or a request without a project,
// is refused before any registry (hub or zone) is contacted, with a message naming the project, the
// repository and the policy, even once team A's render has put the digest in the cache; an unscoped
// policy renders for every project, as before.
func TestGenerateProjectScope(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	teamA := w.publish(t, examples["plain"].dir, "team-a/app", "1.0", true)
	shared := w.publish(t, examples["plain"].dir, "shared/app", "1.0", true)
	key := filepath.Join(w.keyDir, "cosign.pub")
	cfg, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - {host: %[1]s, plainHTTP: true, mirrors: [{host: %[2]s, plainHTTP: true}]}
policies:
  - {match: "%[1]s/team-a/**", projects: [team-a], keys: [%[3]s]}
  - {match: "%[1]s/shared/**", keys: [%[3]s]}
  - {match: "**", insecureAcceptUnsigned: true}
`, w.hub.Host, w.zone.Host, key)))
	must(t, err)
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	ref, _, d := w.resolveRef(t, teamA)
	pinned := ref.Name() + "@" + d.Digest.String()
	tests := []struct {
		name, project, ref string
		refused            []string // what the refusal names; nil when it renders
	}{
		{"team A renders its own", "team-a", teamA, nil},
		{"team A renders its own, pinned", "team-a", pinned, nil},
		{"team B names team A's artifact", "team-b", teamA, []string{`project "team-b"`, w.hub.Host + "/team-a/app", "/team-a/**"}},
		{"team B names team A's cached digest", "team-b", pinned, []string{`project "team-b"`, w.hub.Host + "/team-a/app"}},
		{"no project, scoped policy", "", teamA, []string{"names no Argo CD project", w.hub.Host + "/team-a/app", "/team-a/**"}},
		{"unscoped policy for team A", "team-a", shared, nil},
		{"unscoped policy for team B", "team-b", shared, nil},
		{"unscoped policy without a project", "", shared, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.hub.Requests() + w.zone.Requests()
			out, logs, err := generate(t, cfg, c, cmp.Env{AppName: "app", Project: tt.project, Params: cmp.Params{Ref: tt.ref}})
			if tt.refused == nil {
				if err != nil || !strings.Contains(out, examples["plain"].want) {
					t.Fatalf("generate = %v\n%s\n%s", err, out, logs)
				}
				return
			}
			if !errors.Is(err, config.ErrProjectNotAllowed) || out != "" {
				t.Fatalf("generate = %v, %d bytes; want ErrProjectNotAllowed and no output", err, len(out))
			}
			for _, s := range tt.refused {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("refusal %q does not name %q", err, s)
				}
			}
			if n := w.hub.Requests() + w.zone.Requests() - before; n != 0 {
				t.Fatalf("a refused project cost %d registry requests, want 0", n)
			}
		})
	}
}

// authRecorder challenges every request without credentials (Basic) and records the Authorization
// headers it is sent, once enforcing is on.
type authRecorder struct {
	enforce atomic.Bool
	mu      sync.Mutex
	seen    map[string]int
}

func (a *authRecorder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !a.enforce.Load() {
			next.ServeHTTP(rw, r)
			return
		}
		h := r.Header.Get("Authorization")
		a.mu.Lock()
		a.seen[h]++
		a.mu.Unlock()
		if h == "" {
			rw.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

func (a *authRecorder) take() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.seen
	a.seen = map[string]int{}
	return s
}

// writeDockerConfig writes a config.json holding user:pw for host in dir.
func writeDockerConfig(t *testing.T, dir, host, user string) string {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":pw"))
	p := filepath.Join(dir, "config.json")
	must(t, os.WriteFile(p, []byte(fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, host, auth)), 0o600))
	return p
}

// TestGenerateScopedCredentials (issue 15): credentials scoped to a project are sent only for that
// project's Applications. Another project's request, even under a policy that lets it render the
// repository, reaches the registry anonymously: not with the scoped file, and not with the sidecar's
// default docker config either (which here holds the same credentials).
func TestGenerateScopedCredentials(t *testing.T) {
	rec := &authRecorder{seen: map[string]int{}}
	hub := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(rec.middleware))
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	keyDir := t.TempDir()
	ref := publishSigned(t, opts, keyDir, hub.Host+"/shared/app:1.0")
	credsA := writeDockerConfig(t, t.TempDir(), hub.Host, "team-a")
	defaultDir := t.TempDir()
	writeDockerConfig(t, defaultDir, hub.Host, "team-a")
	t.Setenv("DOCKER_CONFIG", defaultDir)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: true
    credentials: [{projects: [team-a], credentialsFile: %s}]
policies: [{match: "%s/shared/**", keys: [%s]}]
`, hub.Host, credsA, hub.Host, filepath.Join(keyDir, "cosign.pub"))))
	must(t, err)
	rec.enforce.Store(true)
	teamACreds := "Basic " + base64.StdEncoding.EncodeToString([]byte("team-a:pw"))

	out, logs, err := generate(t, cfg, nil, cmp.Env{AppName: "app", Project: "team-a", Params: cmp.Params{Ref: ref.String()}})
	if err != nil || out == "" {
		t.Fatalf("team-a: generate = %v\n%s", err, logs)
	}
	if seen := rec.take(); seen[teamACreds] == 0 {
		t.Fatalf("team-a's requests did not carry its credentials: %v", seen)
	}
	for _, project := range []string{"team-b", ""} {
		out, _, err = generate(t, cfg, nil, cmp.Env{AppName: "app", Project: project, Params: cmp.Params{Ref: ref.String()}})
		if !errors.Is(err, registry.ErrUnauthorized) || out != "" {
			t.Fatalf("project %q: generate = %v, %d bytes; want ErrUnauthorized and no output", project, err, len(out))
		}
		seen := rec.take()
		if seen[teamACreds] != 0 || len(seen) == 0 {
			t.Fatalf("project %q sent: %v; want only anonymous requests", project, seen)
		}
	}
}

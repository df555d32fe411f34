package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// countingProxy fronts a registry on another 127.0.0.1 port and counts the requests it passes on.
func countingProxy(t *testing.T, target string) (string, *atomic.Int64) {
	t.Helper()
	u, _ := url.Parse("http://" + target)
	rp := httputil.NewSingleHostReverseProxy(u)
	var n atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rp.ServeHTTP(w, r)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), &n
}

// TestArgoCDCMPProjects (issue 15): under Argo CD's real cmp-server, with the project set on the
// Application the way the repo-server passes it (ARGOCD_APP_PROJECT_NAME from spec.project, newEnv in
// reposerver/repository/repository.go): team B's Application naming team A's artifact is refused
// with no request to the hub or the zone, by the plugin form and the OCI source form alike; team A's
// renders; an entry without a scope renders for both; no project at all is refused by the scoped
// entry. The refusal names the project (or its absence), the repository and the policy.
func TestArgoCDCMPProjects(t *testing.T) {
	w := newWorld(t)
	var hubReqs, zoneReqs *atomic.Int64
	w.hub, hubReqs = countingProxy(t, w.hub) // everything, publishing included, goes through the counters
	w.zone, zoneReqs = countingProxy(t, w.zone)
	teamA := w.publish(examplesDir("plain"), "team-a/app", "1.0.0", true)
	shared := w.publish(examplesDir("plain"), "shared/app", "1.0.0", true)
	scopes := `  - match: "` + w.hub + `/team-a/**"
    projects: [team-a]
    keys: ["` + w.keys + `"]
  - match: "` + w.hub + `/shared/**"
    keys: ["` + w.keys + `"]
`
	s := startRealCMPServer(t, w.config(w.hub, w.zone, w.keys, scopes))
	cases := []struct {
		name, project, pinned string
		n                     naming
		refused               []string // what the refusal names; nil when it renders
	}{
		{"team-a renders its own", "team-a", teamA, envRef, nil},
		{"team-b names team-a's", "team-b", teamA, envRef, []string{`project "team-b"`, w.hub + "/team-a/app", w.hub + "/team-a/**"}},
		{"team-b names team-a's by OCI source", "team-b", teamA, ociSource, []string{`project "team-b"`, w.hub + "/team-a/app"}},
		{"no project names team-a's", "", teamA, envRef, []string{"names no Argo CD project", w.hub + "/team-a/app", w.hub + "/team-a/**"}},
		{"unscoped for team-a", "team-a", shared, envRef, nil},
		{"unscoped for team-b", "team-b", shared, envRef, nil},
		{"unscoped without a project", "", shared, envRef, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := appFor(t, c.pinned, "1.0.0", c.n)
			a.Project = c.project
			before := hubReqs.Load() + zoneReqs.Load()
			got, err := s.Generate(context.Background(), t, a)
			if c.refused == nil {
				if err != nil {
					t.Fatalf("GenerateManifest: %v", err)
				}
				if list := names(objects(t, got)); !strings.Contains(list, "Deployment/") || strings.Contains(list, "decoy") {
					t.Fatalf("manifests: %s", list)
				}
				return
			}
			if err == nil || len(got) != 0 {
				t.Fatalf("manifests=%d err=%v, want an error and none", len(got), err)
			}
			for _, want := range c.refused {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not name %q: %v", want, err)
				}
			}
			if n := hubReqs.Load() + zoneReqs.Load() - before; n != 0 {
				t.Fatalf("a refused project cost %d registry requests, want 0", n)
			}
			t.Logf("Argo CD shows: %v", err)
		})
	}
	// kubectl gitless render --project decides the same way
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	writeFiles(t, filepath.Dir(cfgPath), map[string]string{"config.yaml": w.config(w.hub, w.zone, w.keys, scopes)})
	if out := w.kg("render", teamA, "--policy", cfgPath, "--project", "team-a"); !strings.Contains(out, "kind: Deployment") {
		t.Fatalf("render --project team-a: %s", out)
	}
}

package kustomize

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitless-dev/gitless/pkg/render/internal/sandbox"
)

// TestLoaderFailsClosed builds a kustomization that loads a URL without the reference checks
// in front of krusty, as if they had missed a case: before Lockdown krusty fetches the URL
// (which is why the checks exist), after it the fetch fails and the server sees nothing.
// Lockdown is what the renderer child process runs under.
func TestLoaderFailsClosed(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "leaked")
	}))
	defer srv.Close()
	fsys := filesys.MakeFsInMemory()
	k := "configMapGenerator:\n- name: x\n  files:\n  - k=" + srv.URL + "/latest/meta-data\n"
	if err := fsys.WriteFile("/kustomization.yaml", []byte(k)); err != nil {
		t.Fatal(err)
	}
	if _, err := build(fsys, "/"); err != nil || hits.Load() != 1 {
		t.Fatalf("without lockdown: build = %v, %d requests; want the fetch this test guards against", err, hits.Load())
	}
	sandbox.Lockdown()
	_, err := build(fsys, "/")
	if err == nil || hits.Load() != 1 {
		t.Fatalf("after lockdown: build = %v, %d requests; want an error and no new request", err, hits.Load())
	}
	t.Logf("refused: %v", err)
}

package cmd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
)

// TestCopyRerunSaysNothingWritten: the first copy says what it pushed and tagged; a re-run with
// nothing new says it wrote nothing.
func TestCopyRerunSaysNothingWritten(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	zone := testregistry.New(t, testregistry.Distribution)
	dir := t.TempDir()
	t.Setenv("COSIGN_PASSWORD", "cli")
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
	mustRun(t, "publish", exampleCopy(t, "plain"), hub.Host+"/platform/app:1.0.0", "--sign", "--key", filepath.Join(dir, "cosign.key"), "-q")
	first := mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", zone.Host+"/platform/app")
	if !strings.Contains(first, "objects pushed, tagged 1.0.0") {
		t.Fatalf("first copy: %q", first)
	}
	again := mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", zone.Host+"/platform/app")
	if !strings.Contains(again, "already in place, nothing written") {
		t.Fatalf("re-run: %q", again)
	}
}

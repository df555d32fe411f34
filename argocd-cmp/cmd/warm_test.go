package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestWarmGenerateStartsNoVerifier: once gitless-verify has accepted an artifact, a generate of the
// same artifact under the same policy and keys takes the acceptance from the cache and starts no
// verifier (here: it renders with the verifier gone); a changed key is a miss that needs the
// verifier again, so with it gone the generate fails, naming what to install, with empty stdout.
func TestWarmGenerateStartsNoVerifier(t *testing.T) {
	s := newSidecar(t)
	env := map[string]string{"GITLESS_CONFIG": s.config(t, true), "ARGOCD_ENV_GITLESS_REF": s.signed, "GITLESS_CACHE_DIR": t.TempDir()}
	code, cold, stderr := runCmp(t, env, "generate")
	if code != ExitOK || !strings.Contains(cold, "kind: Deployment") {
		t.Fatalf("cold generate: exit %d\n%s", code, stderr)
	}
	real := VerifierProgram
	VerifierProgram = filepath.Join(t.TempDir(), "gitless-verify-gone")
	defer func() { VerifierProgram = real }()
	code, warm, stderr := runCmp(t, env, "generate")
	if code != ExitOK || warm != cold {
		t.Fatalf("warm generate without the verifier: exit %d, output equal %t\n%s", code, warm == cold, stderr)
	}
	_, other, err := signature.GenerateKeyPair([]byte("x"))
	must(t, err)
	must(t, os.WriteFile(s.pub, other, 0o644))
	code, out, stderr := runCmp(t, env, "generate")
	if code != ExitError || out != "" || !strings.Contains(stderr, "install gitless-verify-gone") {
		t.Fatalf("key changed, verifier gone: exit %d, %d bytes, stderr %q; want a failure naming the verifier", code, len(out), stderr)
	}
	VerifierProgram = real
	code, out, stderr = runCmp(t, env, "generate")
	if code != ExitError || out != "" || !strings.Contains(stderr, "signature") {
		t.Fatalf("key changed: exit %d, %d bytes, stderr %q; want the signature refused", code, len(out), stderr)
	}
}

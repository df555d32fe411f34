package cmd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain builds gitless-verify, the verifier generate starts on a cache miss, as the release puts
// it beside argocd-cmp.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "argocd-cmp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	VerifierProgram = filepath.Join(dir, "gitless-verify")
	build := exec.Command("go", "build", "-o", VerifierProgram, "../../gitless-verify")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gitless-verify:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

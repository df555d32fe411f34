package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"

// plainTree is a directory holding one ConfigMap.
func plainTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cm.yaml"), []byte(configMap), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestUseRenderer checks the renderer that argocd-cmp names: a program found beside this binary
// (here the test binary itself, whose TestMain calls Init as gitless-render's main does) renders,
// by relative or absolute path; a missing one is refused with what to install, before anything runs.
func TestUseRenderer(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	defer rendererPath.Store(nil)
	root := plainTree(t)
	for _, path := range []string{filepath.Base(exe), exe} {
		UseRenderer(path)
		var out bytes.Buffer
		if err := Render(context.Background(), root, Options{}, &out); err != nil || !strings.Contains(out.String(), "name: a") {
			t.Errorf("UseRenderer(%s): Render = %v, %q", path, err, out.String())
		}
	}
	UseRenderer("gitless-render-missing")
	var out bytes.Buffer
	err = Render(context.Background(), root, Options{}, &out)
	want := filepath.Join(filepath.Dir(exe), "gitless-render-missing")
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "install gitless-render-missing") || out.Len() != 0 {
		t.Errorf("missing renderer: Render = %v, %d bytes; want an error naming %s and what to install", err, out.Len(), want)
	}
}

// TestRendererProtocolMismatch: a renderer started by a binary of another release (another
// protocol version) refuses with a failure its caller reads, saying to install both from one release.
func TestRendererProtocolMismatch(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{childEnv + "=0"}
	cmd.Stdin = strings.NewReader("{}")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || stdout.Len() != 0 {
		t.Fatalf("renderer with protocol 0: %v, stdout %q; want exit 1 and no output", err, stdout.String())
	}
	var f childFailure
	if json.Unmarshal([]byte(lastLine(stderr.String())), &f) != nil || !strings.Contains(f.Message, "same release") {
		t.Errorf("renderer with protocol 0: stderr %q; want a failure saying to install both from the same release", stderr.String())
	}
}

// TestUseHelmRenderer: with a Helm renderer named, charts (detected, or named by Options.Kind) go to
// it and every other kind to the UseRenderer program, so that a Kustomize or plain render starts a
// renderer without Helm. Each program is checked by making the other one missing.
func TestUseHelmRenderer(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	defer rendererPath.Store(nil)
	defer helmRendererPath.Store(nil)
	chart, _ := filepath.Abs("../../examples/helm/guestbook")
	trees := map[string]struct {
		root string
		opts Options
	}{
		"plain":              {plainTree(t), Options{}},
		"chart (detected)":   {chart, Options{ReleaseName: "gb"}},
		"chart (kind: helm)": {chart, Options{Kind: KindHelm, ReleaseName: "gb"}},
	}
	for _, c := range []struct {
		name, plain, helm string
		works             map[string]bool
	}{
		{"Helm renderer missing", exe, "gitless-render-helm-missing", map[string]bool{"plain": true}},
		{"plain renderer missing", "gitless-render-missing", exe, map[string]bool{"chart (detected)": true, "chart (kind: helm)": true}},
	} {
		UseRenderer(c.plain)
		UseHelmRenderer(c.helm)
		for name, tree := range trees {
			var out bytes.Buffer
			err := Render(context.Background(), tree.root, tree.opts, &out)
			switch {
			case c.works[name] && (err != nil || out.Len() == 0):
				t.Errorf("%s: %s: Render = %v, want a render", c.name, name, err)
			case !c.works[name] && (err == nil || !strings.Contains(err.Error(), "missing")):
				t.Errorf("%s: %s: Render = %v, want the missing renderer named", c.name, name, err)
			}
		}
	}
}

package artifact_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// layoutTarget is a fresh OCI layout repository, enough for refusals that happen before any push.
func layoutTarget(t *testing.T) (registry.Reference, registry.Repository) {
	t.Helper()
	ref := mustRef(t, registry.LayoutScheme+filepath.Join(t.TempDir(), "layout"))
	repo, err := registry.Options{}.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	return ref, repo
}

// writeFiles writes files (slash-separated relative path -> content) under a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// chartWithoutDependency is the example chart with its vendored redis dependency removed.
func chartWithoutDependency(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "guestbook")
	copyTree(t, example(t, "helm/guestbook"), dir, 0o644, 0o755, time.Unix(0, 0))
	if err := os.RemoveAll(filepath.Join(dir, "charts")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPublishRefusesWhatCannotRender(t *testing.T) {
	// packs (every reference exists) but does not build: the patch targets an object that is not there
	brokenKustomization := map[string]string{"kustomization.yaml": "resources: [cm.yaml]\npatches: [{path: patch.yaml}]\n",
		"cm.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
		"patch.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: nope}\nspec: {replicas: 2}\n"}
	cases := []struct {
		name    string
		path    func(t *testing.T) string
		opts    artifact.PublishOptions
		wantErr error
		want    []string // substrings of the error
	}{
		{name: "empty directory", path: func(t *testing.T) string { return t.TempDir() },
			wantErr: artifact.ErrEmptyArtifact, want: []string{"--allow-empty", "prune"}},
		{name: "only non-manifests", path: func(t *testing.T) string { return writeFiles(t, map[string]string{"README.md": "x"}) },
			wantErr: artifact.ErrEmptyArtifact},
		{name: "empty directory allowed", path: func(t *testing.T) string { return t.TempDir() },
			opts: artifact.PublishOptions{AllowEmpty: true}},
		{name: "chart dependency missing from charts/", path: chartWithoutDependency,
			wantErr: errdef.ErrMissingDependency, want: []string{"helm dependency build", "redis", "--skip-render-check"}},
		{name: "chart dependency missing, check skipped", path: chartWithoutDependency,
			opts: artifact.PublishOptions{SkipRenderCheck: true}},
		{name: "kustomization that does not build", path: func(t *testing.T) string { return writeFiles(t, brokenKustomization) },
			wantErr: artifact.ErrDoesNotRender, want: []string{"nope"}},
		{name: "plain YAML that is not Kubernetes", path: func(t *testing.T) string { return writeFiles(t, map[string]string{"a.yaml": "foo: bar\n"}) },
			wantErr: errdef.ErrNotKubernetes, want: []string{"a.yaml"}},
		{name: "example chart", path: func(t *testing.T) string { return example(t, "helm/guestbook") }},
		{name: "example overlay", path: func(t *testing.T) string { return example(t, "kustomize/overlays/zone-a") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, repo := layoutTarget(t)
			c.opts.Created = fixedCreated
			res, err := artifact.Publish(ctx(t), repo, ref, c.path(t), []string{"1.0.0"}, c.opts)
			if c.wantErr == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got := res.Annotations[artifact.AnnotationAllowEmpty]; (got == "true") != c.opts.AllowEmpty {
					t.Errorf("%s = %q with AllowEmpty %v", artifact.AnnotationAllowEmpty, got, c.opts.AllowEmpty)
				}
				return
			}
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, err := repo.Resolve(ctx(t), "1.0.0"); err == nil {
				t.Error("the refused content was tagged")
			}
		})
	}
}

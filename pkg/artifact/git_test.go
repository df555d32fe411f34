package artifact_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/artifact"
)

// gitCheckout makes a git repository holding examples/kustomize with one commit at commitTime and
// an origin URL that carries a token.
func gitCheckout(t *testing.T, commitTime time.Time) (dir, head string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir = filepath.Join(t.TempDir(), "checkout")
	copyTree(t, example(t, "kustomize"), dir, 0o644, 0o755, time.Now())
	date := commitTime.Format(time.RFC3339)
	env := append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "GIT_AUTHOR_NAME=t",
		"GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "config")
	git("remote", "add", "origin", "https://deploy:s3cr3t-token@git.example.com/platform/config.git")
	return dir, git("rev-parse", "HEAD")
}

func TestPublishReadsGit(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1000000000") // the commit time wins
	commit := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	dir, head := gitCheckout(t, commit)
	tg := targets(t, "git")[2]
	pub, err := artifact.Publish(ctx(t), tg.repo, tg.ref, filepath.Join(dir, "overlays", "zone-a"), []string{"1"}, artifact.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := pub.Annotations
	if a[ocispec.AnnotationCreated] != "2025-06-07T08:09:10Z" {
		t.Errorf("created = %q, want the commit time", a[ocispec.AnnotationCreated])
	}
	if a[ocispec.AnnotationRevision] != head {
		t.Errorf("revision = %q, want %s", a[ocispec.AnnotationRevision], head)
	}
	if a[ocispec.AnnotationSource] != "https://git.example.com/platform/config.git" {
		t.Errorf("source = %q, want the origin URL without credentials", a[ocispec.AnnotationSource])
	}
	if pub.RenderPath != "overlays/zone-a" {
		t.Errorf("render path = %q", pub.RenderPath)
	}

	t.Run("same commit, another clone, same digest", func(t *testing.T) {
		dir2, _ := gitCheckout(t, commit)
		// the commit hash differs only if content or metadata differ; both clones share them
		pub2, err := artifact.Publish(ctx(t), tg.repo, tg.ref, filepath.Join(dir2, "overlays", "zone-a"), []string{"2"}, artifact.PublishOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pub2.Digest != pub.Digest {
			t.Errorf("digest %s, first clone %s", pub2.Digest, pub.Digest)
		}
	})
	t.Run("explicit flags win", func(t *testing.T) {
		created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		p, err := artifact.Publish(ctx(t), tg.repo, tg.ref, filepath.Join(dir, "overlays", "zone-a"), []string{"3"}, artifact.PublishOptions{
			Created: created, Source: "https://example.com/other", Revision: "v9", Annotations: map[string]string{"team": "a", ocispec.AnnotationTitle: "custom"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{ocispec.AnnotationCreated: "2020-01-01T00:00:00Z", ocispec.AnnotationSource: "https://example.com/other",
			ocispec.AnnotationRevision: "v9", "team": "a", ocispec.AnnotationTitle: "custom"}
		for k, v := range want {
			if p.Annotations[k] != v {
				t.Errorf("%s = %q, want %q", k, p.Annotations[k], v)
			}
		}
	})
	t.Run("reference leaving the checkout", func(t *testing.T) {
		outside := filepath.Join(filepath.Dir(dir), "outside")
		copyTree(t, example(t, "kustomize/base"), outside, 0o644, 0o755, time.Now())
		overlay := filepath.Join(dir, "escape")
		os.MkdirAll(overlay, 0o755)
		os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte("resources:\n  - ../../outside\n"), 0o644)
		_, err := artifact.Publish(ctx(t), tg.repo, tg.ref, overlay, []string{"4"}, artifact.PublishOptions{})
		if err == nil || !strings.Contains(err.Error(), "outside") {
			t.Fatalf("err = %v, want an error naming the reference", err)
		}
	})
}

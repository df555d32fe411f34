package artifact_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/artifact"
)

// TestPublishRefusesDirtyCheckout: what is packed must be the commit the revision names. A modified,
// untracked or deleted file inside the pack root is refused with the files named; --allow-dirty
// records "<sha>-dirty"; files the pack leaves out (.gitlessignore) do not count.
func TestPublishRefusesDirtyCheckout(t *testing.T) {
	tg := targets(t, "dirty")[0]
	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(dir string)
		dirty  string // a file the refusal names; "" for clean
	}{
		{"clean", func(string) {}, ""},
		{"modified", func(dir string) {
			write(filepath.Join(dir, "base", "service.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: changed}\n")
		}, "base/service.yaml"},
		{"untracked", func(dir string) {
			write(filepath.Join(dir, "base", "extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n")
		}, "base/extra.yaml"},
		{"deleted", func(dir string) {
			os.Remove(filepath.Join(dir, "base", "service.yaml"))
			k := filepath.Join(dir, "base", "kustomization.yaml")
			b, _ := os.ReadFile(k)
			write(k, strings.Replace(string(b), "  - service.yaml\n", "", 1))
		}, "base/service.yaml"},
		{"gitlessignored", func(dir string) {
			write(filepath.Join(dir, ".gitlessignore"), "notes.txt\n.gitlessignore\n")
			write(filepath.Join(dir, "notes.txt"), "scratch")
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, head := gitCheckout(t, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
			tc.change(dir)
			overlay := filepath.Join(dir, "overlays", "zone-a")
			pub, err := artifact.Publish(ctx(t), tg.repo, tg.ref, overlay, []string{tc.name}, artifact.PublishOptions{})
			if tc.dirty == "" {
				if err != nil {
					t.Fatalf("clean publish refused: %v", err)
				}
				if pub.Annotations[ocispec.AnnotationRevision] != head || pub.Source.Dirty || pub.Source.Ref == "" {
					t.Fatalf("revision %q source %+v, want %s clean on a branch", pub.Annotations[ocispec.AnnotationRevision], pub.Source, head)
				}
				return
			}
			if !errors.Is(err, artifact.ErrDirtyCheckout) || !strings.Contains(err.Error(), tc.dirty) || !strings.Contains(err.Error(), "--allow-dirty") {
				t.Fatalf("dirty publish: %v, want ErrDirtyCheckout naming %s and --allow-dirty", err, tc.dirty)
			}
			var warned string
			pub, err = artifact.Publish(ctx(t), tg.repo, tg.ref, overlay, []string{tc.name}, artifact.PublishOptions{
				AllowDirty: true, Warn: func(m string) { warned = m }})
			if err != nil {
				t.Fatal(err)
			}
			if got := pub.Annotations[ocispec.AnnotationRevision]; got != head+"-dirty" || !pub.Source.Dirty || !strings.Contains(warned, tc.dirty) {
				t.Fatalf("--allow-dirty: revision %q, source %+v, warning %q", got, pub.Source, warned)
			}
		})
	}
}

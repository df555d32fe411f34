package artifact_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/imagetest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestPublishImagesLock: every publish form carries the lock in its manifest; an image that does not
// exist is refused naming image, object and field; record keeps it unpinned; off writes no lock.
func TestPublishImagesLock(t *testing.T) {
	reg := testregistry.New(t, testregistry.Distribution)
	digest := imagetest.PushIndex(t, reg.Host+"/acme/web:1", "linux/amd64", "linux/arm64")
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain", "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: web, image: "+reg.Host+"/acme/web:1}\n")
	writeFile(t, filepath.Join(dir, "chart", "Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n")
	writeFile(t, filepath.Join(dir, "chart", "templates", "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: web, image: {{ .Values.image | quote }}}\n")
	writeFile(t, filepath.Join(dir, "chart", "values.yaml"), "image: "+reg.Host+"/acme/web:1\n")
	writeFile(t, filepath.Join(dir, "prod.yaml"), "image: "+reg.Host+"/acme/web:2\n")
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	publish := func(path, repoPath, format string, io artifact.ImagesOptions) (artifact.Published, error) {
		ref, err := registry.ParseReference(reg.Host + "/" + repoPath + ":1.0")
		if err != nil {
			t.Fatal(err)
		}
		repo, err := opts.Open(ref)
		if err != nil {
			t.Fatal(err)
		}
		io.Resolver = &images.Resolver{Options: registry.DefaultOptions()}
		return artifact.Publish(context.Background(), repo, ref, path, []string{"1.0"},
			artifact.PublishOptions{Format: format, Created: time.Unix(1700000000, 0), Images: io})
	}
	for _, c := range []struct{ path, format string }{{"plain", artifact.PublishImage}, {"plain", artifact.PublishArtifact}, {"chart", ""}} {
		pub, err := publish(filepath.Join(dir, c.path), "app/"+c.path+c.format, c.format, artifact.ImagesOptions{Mode: images.ModeResolve})
		if err != nil {
			t.Fatalf("%s %s: %v", c.path, c.format, err)
		}
		lock, ok, err := images.FromAnnotations(pub.Annotations)
		if err != nil || !ok || len(lock.Images) != 1 || lock.Images[0].Digest != digest {
			t.Errorf("%s %s: lock %+v %v", c.path, c.format, lock, err)
		}
	}
	_, err := publish(filepath.Join(dir, "chart"), "app/chart-prod", "", artifact.ImagesOptions{Mode: images.ModeResolve, ValuesFiles: []string{filepath.Join(dir, "prod.yaml")}})
	if !errors.Is(err, images.ErrUnresolved) || !strings.Contains(err.Error(), reg.Host+"/acme/web:2, found in Pod p spec.containers[web].image") {
		t.Fatalf("missing image from --values: %v", err)
	}
	pub, err := publish(filepath.Join(dir, "chart"), "app/chart-prod", "", artifact.ImagesOptions{Mode: images.ModeRecord, ValuesFiles: []string{filepath.Join(dir, "prod.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if lock, _, _ := images.FromAnnotations(pub.Annotations); len(lock.Images) != 2 || lock.Images[0].Digest != "" || lock.Images[1].Digest == "" {
		t.Errorf("record: %+v", lock)
	}
	if _, err := publish(filepath.Join(dir, "plain"), "app/values", "", artifact.ImagesOptions{Mode: images.ModeResolve, ValuesFiles: []string{"x.yaml"}}); !errors.Is(err, artifact.ErrImagesValues) {
		t.Errorf("--values for plain content: %v", err)
	}
	pub, err = publish(filepath.Join(dir, "plain"), "app/off", "", artifact.ImagesOptions{Mode: images.ModeOff})
	if _, ok, _ := images.FromAnnotations(pub.Annotations); err != nil || ok {
		t.Errorf("off: %v %v", ok, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

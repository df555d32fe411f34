package artifact_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// lying serves every blob with its first byte flipped: same size, other bytes (a bad mirror).
func lying(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 0 {
			body[0] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func TestFetchBlobSources(t *testing.T) {
	liar1 := remoteTarget(t, "liar1", testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(lying)), "app")
	liar2 := remoteTarget(t, "liar2", testregistry.New(t, testregistry.Distribution, testregistry.WithMiddleware(lying)), "app")
	honest := remoteTarget(t, "honest", testregistry.New(t, testregistry.Distribution), "app")
	var layer artifact.Published
	for _, tg := range []target{liar1, liar2, honest} {
		pub, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, "plain"), []string{"1"}, artifact.PublishOptions{Created: fixedCreated})
		if err != nil {
			t.Fatal(err)
		}
		layer = pub
	}
	src := func(tg target) artifact.Source { return artifact.Source{Name: tg.name, Fetcher: tg.repo} }

	t.Run("falls back past a lying mirror", func(t *testing.T) {
		dir := t.TempDir()
		path, err := artifact.FetchBlob(ctx(t), []artifact.Source{src(liar1), src(honest)}, layer.Layer, dir, 0, nil)
		if err != nil {
			t.Fatalf("FetchBlob: %v", err)
		}
		defer os.Remove(path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if digest.FromBytes(b) != layer.Layer.Digest || int64(len(b)) != layer.Layer.Size {
			t.Fatalf("fetched bytes do not match %s", layer.Layer.Digest)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("temp dir holds %d files, want only the verified blob", len(entries))
		}
	})
	t.Run("every source lies", func(t *testing.T) {
		dir := t.TempDir()
		_, err := artifact.FetchBlob(ctx(t), []artifact.Source{src(liar1), src(liar2)}, layer.Layer, dir, 0, nil)
		if !isErr(err, registry.ErrDigestMismatch) {
			t.Fatalf("err = %v, want ErrDigestMismatch", err)
		}
		if !strings.Contains(err.Error(), "liar1") || !strings.Contains(err.Error(), "liar2") {
			t.Errorf("error does not name the sources: %v", err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("left behind %d temp files", len(entries))
		}
	})
	t.Run("over the size limit", func(t *testing.T) {
		_, err := artifact.FetchBlob(ctx(t), []artifact.Source{src(honest)}, layer.Layer, t.TempDir(), layer.Layer.Size-1, nil)
		if err == nil || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing blob, then a good source", func(t *testing.T) {
		empty := remoteTarget(t, "empty", testregistry.New(t, testregistry.Referrers), "app")
		path, err := artifact.FetchBlob(ctx(t), []artifact.Source{src(empty), src(honest)}, layer.Layer, t.TempDir(), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
		_, err = artifact.FetchBlob(ctx(t), []artifact.Source{src(empty)}, layer.Layer, t.TempDir(), 0, nil)
		if !isErr(err, registry.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("pull from a lying registry extracts nothing", func(t *testing.T) {
		dir := t.TempDir() + "/out"
		_, err := artifact.Pull(ctx(t), liar1.repo, liar1.ref.WithTag("1"), dir, artifact.MaterializeOptions{TempDir: t.TempDir()})
		if !isErr(err, registry.ErrDigestMismatch) {
			t.Fatalf("err = %v, want ErrDigestMismatch", err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("output directory exists after a failed pull")
		}
	})
}

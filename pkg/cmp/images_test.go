package cmp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/imagetest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// imageWorld is a hub holding configuration and images, and a zone registry holding the images'
// copies under mirror/.
type imageWorld struct {
	*world
	mirror string
}

// corpusImages are the images the testdata/images corpus names, pushed to the hub; web is multi-platform.
var corpusImages = []string{"acme/migrate:1.0", "acme/report:2", "acme/debug:latest", "acme/model:v1", "acme/canary:3", "acme/hook:1", "acme/zone-web:2"}

func newImageWorld(t *testing.T) *imageWorld {
	t.Helper()
	w := &world{opts: registry.DefaultOptions(), refs: map[string]string{}}
	w.opts.PlainHTTP, w.opts.MaxRetries = true, 1
	w.hub = testregistry.New(t, testregistry.Referrers)
	w.zone = testregistry.New(t, testregistry.Distribution)
	w.keyDir = t.TempDir()
	priv, pub, err := signature.GenerateKeyPair([]byte("pw"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(w.keyDir, "cosign.key"), priv, 0o600))
	must(t, os.WriteFile(filepath.Join(w.keyDir, "cosign.pub"), pub, 0o644))
	w.signer, err = signature.LoadSigner(filepath.Join(w.keyDir, "cosign.key"), []byte("pw"))
	must(t, err)
	imagetest.PushIndex(t, w.hub.Host+"/acme/web:1.0", "linux/amd64", "linux/arm64")
	for _, im := range corpusImages {
		imagetest.PushImage(t, w.hub.Host+"/"+im)
	}
	return &imageWorld{world: w, mirror: w.zone.Host + "/mirror"}
}

// corpus copies testdata/images/NAME with REGISTRY replaced by the hub's host.
func (w *imageWorld) corpus(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "images")
	dst := t.TempDir()
	must(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), bytes.ReplaceAll(b, []byte("REGISTRY"), []byte(w.hub.Host)), 0o644)
	}))
	return filepath.Join(dst, name)
}

// publishLocked publishes dir with an images lock (resolved at the hub) and signs it.
func (w *imageWorld) publishLocked(t *testing.T, dir, repoPath string, io artifact.ImagesOptions) (registry.Reference, artifact.Published) {
	t.Helper()
	ctx := context.Background()
	ref, err := registry.ParseReference(w.hub.Host + "/" + repoPath + ":1.0")
	must(t, err)
	repo, err := w.opts.Open(ref)
	must(t, err)
	if io.Mode == "" {
		io.Mode = images.ModeResolve
	}
	io.Resolver = &images.Resolver{Options: registry.DefaultOptions()}
	pub, err := artifact.Publish(ctx, repo, ref, dir, []string{"1.0"}, artifact.PublishOptions{Created: time.Unix(1700000000, 0), Images: io,
		Boundary: filepath.Dir(filepath.Dir(dir))})
	must(t, err)
	_, _, err = signature.SignReference(ctx, repo, w.signer, ref.Name(), "1.0")
	must(t, err)
	return ref, pub
}

// copyToMirror copies every locked image to the zone under mirror/<name>, by digest.
func (w *imageWorld) copyToMirror(t *testing.T, lock images.Lock) {
	t.Helper()
	for _, im := range lock.Images {
		src, err := w.opts.Remote(im.Name)
		must(t, err)
		dst, err := w.opts.Remote(images.MirrorName(w.mirror, im.Name))
		must(t, err)
		_, err = oras.Copy(context.Background(), src, im.Digest, dst, im.Digest, oras.DefaultCopyOptions)
		must(t, err)
	}
}

func (w *imageWorld) cfg(t *testing.T, images, policyExtra string) *config.Config {
	t.Helper()
	doc := fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: true
%s
policies:
  - match: "%s/**"
    keys: [%s]
%s`, w.hub.Host, images, w.hub.Host, filepath.Join(w.keyDir, "cosign.pub"), policyExtra)
	c, err := config.Parse([]byte(doc))
	must(t, err)
	return c
}

func lockOf(t *testing.T, pub artifact.Published) images.Lock {
	t.Helper()
	lock, ok, err := images.FromAnnotations(pub.Annotations)
	if err != nil || !ok {
		t.Fatalf("no images lock: %v", err)
	}
	return lock
}

// TestImagesPinnedToMirror: with a mirror, the sidecar's output equals the output without one except
// for the image fields, each rewritten to the mirror's copy by digest, and each resolves there.
func TestImagesPinnedToMirror(t *testing.T) {
	w := newImageWorld(t)
	for _, name := range []string{"plain", "kustomize/overlay", "chart"} {
		t.Run(name, func(t *testing.T) {
			ref, pub := w.publishLocked(t, w.corpus(t, name), "platform/"+strings.ReplaceAll(name, "/", "-"), artifact.ImagesOptions{})
			lock := lockOf(t, pub)
			w.copyToMirror(t, lock)
			env := cmp.Env{AppName: "app", AppNamespace: "apps", Params: cmp.Params{Ref: ref.String()}}
			plain, _, err := generate(t, w.cfg(t, "", ""), nil, env)
			must(t, err)
			mirrored, logs, err := generate(t, w.cfg(t, fmt.Sprintf("images: {mirror: %s, plainHTTP: true}", w.mirror), ""), nil, env)
			must(t, err)
			want := plain
			rewritten := 0
			for _, im := range lock.Images {
				n := strings.Count(want, im.Ref)
				rewritten += n
				want = strings.ReplaceAll(want, im.Ref, images.MirrorName(w.mirror, im.Name)+"@"+im.Digest)
			}
			if rewritten == 0 || mirrored != want {
				t.Fatalf("mirrored output differs from the plain output beyond image fields (%d):\n%s\nwant:\n%s\nlogs:\n%s", rewritten, mirrored, want, logs)
			}
			found, err := images.FindInStream([]byte(mirrored))
			must(t, err)
			for _, f := range found {
				r, _ := images.ParseRef(f.Ref)
				if !strings.HasPrefix(f.Ref, w.mirror+"/") || r.Digest == "" {
					t.Errorf("not pinned to the mirror: %s", f)
				}
			}
			missing := images.CheckMirror(context.Background(), lock, func(string) (string, registry.Options, bool) {
				return w.mirror, w.opts, true
			})
			if len(missing) != 0 {
				t.Errorf("rewritten references missing at the mirror: %+v", missing)
			}
		})
	}
}

// TestImagesLockContents: the lock holds every place the corpus names an image, a chart's images
// from each values file it ships and its helm.sh/images annotation, the kustomize override's
// result, platforms of a multi-platform image; the same tree and images give the same digest.
func TestImagesLockContents(t *testing.T) {
	w := newImageWorld(t)
	_, pub := w.publishLocked(t, w.corpus(t, "plain"), "platform/plain", artifact.ImagesOptions{Extra: []string{w.hub.Host + "/acme/hook:1"}})
	lock := lockOf(t, pub)
	var got []string
	for _, im := range lock.Images {
		for _, s := range im.Sources {
			got = append(got, strings.TrimPrefix(im.Name, w.hub.Host+"/")+" "+s.Kind+" "+s.Field)
		}
		if strings.HasSuffix(im.Name, "/acme/web") && (len(im.Platforms) != 2 || im.MediaType != ocispec.MediaTypeImageIndex) {
			t.Errorf("multi-platform image: %+v", im)
		}
	}
	for _, want := range []string{
		"acme/canary Rollout spec.template.spec.containers[canary].image",
		"acme/debug Pod spec.ephemeralContainers[debugger].image",
		"acme/hook --image ",
		"acme/migrate Deployment spec.template.spec.initContainers[migrate].image",
		"acme/model Pod spec.volumes[model].image.reference",
		"acme/report CronJob spec.jobTemplate.spec.template.spec.containers[report].image",
		"acme/web Deployment spec.template.spec.containers[web].image",
		"acme/web Pod spec.containers[main].image",
	} {
		if !contains(got, want) {
			t.Errorf("lock lacks %q; has\n%s", want, strings.Join(got, "\n"))
		}
	}
	_, again := w.publishLocked(t, w.corpus(t, "plain"), "platform/plain2", artifact.ImagesOptions{Extra: []string{w.hub.Host + "/acme/hook:1"}})
	if again.Digest != pub.Digest {
		t.Errorf("same tree and images, digests %s and %s", pub.Digest, again.Digest)
	}

	_, chart := w.publishLocked(t, w.corpus(t, "chart"), "charts/imgchart", artifact.ImagesOptions{})
	var names []string
	for _, im := range lockOf(t, chart).Images {
		names = append(names, strings.TrimPrefix(im.Ref, w.hub.Host+"/"))
	}
	if strings.Join(names, " ") != "acme/hook:1 acme/web:1.0 acme/zone-web:2" {
		t.Errorf("chart lock: %v", names)
	}
	_, kust := w.publishLocked(t, w.corpus(t, "kustomize/overlay"), "platform/kust", artifact.ImagesOptions{})
	if l := lockOf(t, kust); len(l.Images) != 1 || l.Images[0].Ref != w.hub.Host+"/acme/web:1.0" {
		t.Errorf("kustomize lock: %+v", l)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestImagesNotLocked: an image a sync-time Helm value introduces is left as rendered and logged, and
// refused under requireLockedImages; a lock edited after signing fails verification.
func TestImagesNotLocked(t *testing.T) {
	w := newImageWorld(t)
	ref, pub := w.publishLocked(t, w.corpus(t, "chart"), "charts/imgchart", artifact.ImagesOptions{})
	w.copyToMirror(t, lockOf(t, pub))
	mirror := fmt.Sprintf("images: {mirror: %s}", w.mirror)
	env := cmp.Env{AppName: "app", AppNamespace: "apps", Params: cmp.Params{Ref: ref.String(), Set: []string{"image.tag=9"}}}
	out, logs, err := generate(t, w.cfg(t, mirror, ""), nil, env)
	must(t, err)
	if !strings.Contains(out, w.hub.Host+"/acme/web:9") || !strings.Contains(logs, "image not pinned by the images lock") {
		t.Fatalf("unlocked image not left alone and logged:\n%s\n%s", out, logs)
	}
	out, _, err = generate(t, w.cfg(t, mirror, "    requireLockedImages: true"), nil, env)
	if !errors.Is(err, cmp.ErrImageNotLocked) || out != "" || !strings.Contains(err.Error(), w.hub.Host+"/acme/web:9 (Deployment app spec.template.spec.containers[web].image)") {
		t.Fatalf("requireLockedImages: %v (output %d bytes)", err, len(out))
	}
	env.Params.Set = nil
	if _, _, err := generate(t, w.cfg(t, mirror, "    requireLockedImages: true"), nil, env); err != nil {
		t.Fatalf("locked images refused: %v", err)
	}

	// edit the lock after signing: point web at another digest and move the tag onto the edited manifest
	ctx := context.Background()
	repo, err := w.opts.Open(ref)
	must(t, err)
	desc, err := repo.Resolve(ctx, "1.0")
	must(t, err)
	raw, err := content.FetchAll(ctx, repo, desc)
	must(t, err)
	var m ocispec.Manifest
	must(t, json.Unmarshal(raw, &m))
	lock := lockOf(t, pub)
	lock.Images[0].Digest = "sha256:" + strings.Repeat("e", 64)
	m.Annotations[images.AnnotationLock], err = lock.Encode()
	must(t, err)
	edited, err := json.Marshal(m)
	must(t, err)
	ed := ocispec.Descriptor{MediaType: desc.MediaType, Digest: digest.FromBytes(edited), Size: int64(len(edited))}
	must(t, repo.Push(ctx, ed, bytes.NewReader(edited)))
	must(t, repo.Tag(ctx, ed, "1.0"))
	out, _, err = generate(t, w.cfg(t, mirror, ""), nil, env)
	if err == nil || out != "" {
		t.Fatalf("edited lock rendered: %q", out)
	}
	if !errors.Is(err, signature.ErrNoSignature) && !errors.Is(err, signature.ErrNoValidSignature) {
		t.Fatalf("edited lock: not a signature failure: %v", err)
	}
}

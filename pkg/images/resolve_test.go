package images

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/imagetest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/registry"
)

func TestResolverLock(t *testing.T) {
	reg := testregistry.New(t, testregistry.Referrers)
	multi := imagetest.PushIndex(t, reg.Host+"/acme/web:1.0", "linux/amd64", "linux/arm64/v8")
	single := imagetest.PushImage(t, reg.Host+"/acme/init:2")
	found := []Found{
		{Ref: reg.Host + "/acme/web:1.0", Source: Source{Kind: "Deployment", Name: "web", Field: "spec.template.spec.containers[web].image"}},
		{Ref: reg.Host + "/acme/web:1.0", Source: Source{Kind: "CronJob", Name: "job", Field: "x"}},
		{Ref: reg.Host + "/acme/init@" + single, Source: Source{Kind: "Pod", Name: "p", Field: "spec.initContainers[i].image"}},
		{Ref: "localhost" + strings.TrimPrefix(reg.Host, "127.0.0.1") + "/acme/init:2", Source: Source{Kind: SourceFlag}},
	}
	imgs, err := Collect(found)
	if err != nil || len(imgs) != 3 {
		t.Fatalf("collect: %v %d", err, len(imgs))
	}
	r := &Resolver{Options: registry.DefaultOptions()}
	lock, err := r.Lock(context.Background(), imgs, ModeResolve)
	if err != nil {
		t.Fatal(err)
	}
	web := lock.Images[0]
	if web.Digest != multi || !slices.Equal(web.Platforms, []string{"linux/amd64", "linux/arm64/v8"}) || len(web.Sources) != 2 ||
		web.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("multi-platform image: %+v", web)
	}
	if lock.Images[1].Digest != single || lock.Images[2].Digest != single {
		t.Errorf("digest reference and localhost spelling: %+v", lock.Images[1:])
	}
	enc1, _ := lock.Encode()
	lock2, _ := r.Lock(context.Background(), imgs, ModeResolve)
	if enc2, _ := lock2.Encode(); enc1 != enc2 {
		t.Error("same images, different lock bytes")
	}
}

func TestResolverRefusesMissingImages(t *testing.T) {
	reg := testregistry.New(t, testregistry.Distribution)
	imagetest.PushImage(t, reg.Host+"/acme/web:1")
	missingDigest := reg.Host + "/acme/web@sha256:" + strings.Repeat("0", 64)
	imgs, err := Collect([]Found{
		{Ref: reg.Host + "/acme/web:2", Source: Source{Kind: "Deployment", Namespace: "apps", Name: "web", Field: "spec.template.spec.containers[web].image"}},
		{Ref: missingDigest, Source: Source{Kind: "Pod", Name: "p", Field: "spec.containers[a].image"}},
		{Ref: reg.Host + "/acme/web:1", Source: Source{Kind: "Pod", Name: "p", Field: "spec.containers[b].image"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Options: registry.DefaultOptions()}
	_, err = r.Lock(context.Background(), imgs, ModeResolve)
	if !errors.Is(err, ErrUnresolved) || !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{reg.Host + "/acme/web:2", "Deployment apps/web spec.template.spec.containers[web].image", missingDigest, "--images=record"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var warned []string
	r.Warn = func(m string) { warned = append(warned, m) }
	lock, err := r.Lock(context.Background(), imgs, ModeRecord)
	if err != nil || len(warned) != 2 {
		t.Fatalf("record: %v, warned %q", err, warned)
	}
	for _, im := range lock.Images {
		switch im.Ref {
		case reg.Host + "/acme/web:2":
			if im.Digest != "" {
				t.Errorf("unresolved tag got a digest: %+v", im)
			}
		case missingDigest:
			if im.Digest != "sha256:"+strings.Repeat("0", 64) {
				t.Errorf("digest as written not kept: %+v", im)
			}
		default:
			if im.Digest == "" {
				t.Errorf("resolvable image not resolved in record mode: %+v", im)
			}
		}
	}
}

func TestCollectOddSyntax(t *testing.T) {
	for _, c := range []struct{ ref, name, tag string }{
		{"nginx", "docker.io/library/nginx", "latest"},
		{"docker.io/nginx:1", "docker.io/library/nginx", "1"},
		{"index.docker.io/library/nginx:1", "docker.io/library/nginx", "1"},
		{"acme/web", "docker.io/acme/web", "latest"},
		{"registry.example.com:5443/a/b/c:v1", "registry.example.com:5443/a/b/c", "v1"},
		{"localhost/x", "localhost/x", "latest"},
	} {
		imgs, err := Collect([]Found{{Ref: c.ref}})
		if err != nil || imgs[0].Name != c.name || imgs[0].Tag != c.tag {
			t.Errorf("%s: %+v %v", c.ref, imgs, err)
		}
	}
	if _, err := Collect([]Found{{Ref: "Nginx:latest", Source: Source{Kind: "Pod", Name: "p", Field: "spec.containers[a].image"}}}); err == nil ||
		!strings.Contains(err.Error(), "Pod p") {
		t.Errorf("bad reference: %v", err)
	}
}

func TestCollectDedupesSources(t *testing.T) {
	src := Source{Kind: "Deployment", Name: "web", Field: "spec.template.spec.containers[web].image"}
	imgs, err := Collect([]Found{{Ref: "nginx:1", Source: src}, {Ref: "docker.io/library/nginx:1", Source: src}, {Ref: "nginx:2", Source: src}})
	if err != nil || len(imgs) != 2 || len(imgs[0].Sources) != 1 || imgs[0].Ref != "nginx:1" {
		t.Fatalf("%+v %v", imgs, err)
	}
}

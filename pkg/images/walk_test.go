package images

import (
	"os"
	"strings"
	"testing"
)

func TestFindInStream(t *testing.T) {
	stream, err := os.ReadFile("testdata/rendered.yaml")
	if err != nil {
		t.Fatal(err)
	}
	found, err := FindInStream(stream)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, f.Source.Kind+" "+f.Source.Namespace+"/"+f.Source.Name+" "+f.Source.Field+" = "+f.Ref)
	}
	want := []string{
		"CronJob apps/report spec.jobTemplate.spec.template.spec.containers[report].image = ghcr.io/acme/report:2.0",
		"Pod /debug spec.containers[web].image = nginx",
		"Pod /debug spec.initContainers[init].image = localhost:5000/tools/init@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"Pod /debug spec.ephemeralContainers[debugger].image = busybox:1.36",
		"Pod /debug spec.volumes[model].image.reference = 127.0.0.1:5000/data/model:v1",
		"Rollout /web spec.template.spec.containers[web].image = docker.io/library/nginx:1.27",
		"Rollout /web spec.template.spec.initContainers[migrate].image = ghcr.io/acme/migrate:1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPinRewritesOnlyImageFields(t *testing.T) {
	stream, err := os.ReadFile("testdata/rendered.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := "sha256:" + strings.Repeat("b", 64)
	lock := Lock{Version: LockVersion, Images: []Image{
		{Ref: "nginx:1.27", Name: "docker.io/library/nginx", Tag: "1.27", Digest: d},
		{Ref: "nginx", Name: "docker.io/library/nginx", Tag: "latest", Digest: d},
		{Ref: "busybox:1.36", Name: "docker.io/library/busybox", Tag: "1.36", Digest: d},
		{Ref: "x", Name: "127.0.0.1:5000/data/model", Tag: "v1", Digest: d},
		{Ref: "y", Name: "localhost:5000/tools/init", Digest: "sha256:" + strings.Repeat("a", 64)},
		{Ref: "z", Name: "ghcr.io/acme/report", Tag: "2.0"}, // recorded without a digest: not pinned
	}}
	out, res, err := Pin(stream, lock, func(repo string) string {
		if strings.HasPrefix(repo, "ghcr.io/") {
			return ""
		}
		return "zone.example:5000/mirror/"
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rewritten) != 5 || len(res.Unlocked) != 2 {
		t.Fatalf("rewritten %d, unlocked %v", len(res.Rewritten), res.Unlocked)
	}
	want := string(stream)
	for _, r := range []struct{ old, new string }{
		{`image: "nginx"`, `image: "zone.example:5000/mirror/docker.io/library/nginx@` + d + `"`},
		{`image: 'busybox:1.36'`, `image: 'zone.example:5000/mirror/docker.io/library/busybox@` + d + `'`},
		{`reference: 127.0.0.1:5000/data/model:v1`, `reference: zone.example:5000/mirror/127.0.0.1_5000/data/model@` + d},
		{`image: localhost:5000/tools/init@`, `image: zone.example:5000/mirror/localhost_5000/tools/init@`},
		{`image: docker.io/library/nginx:1.27}`, `image: zone.example:5000/mirror/docker.io/library/nginx@` + d + `}`},
	} {
		if !strings.Contains(want, r.old) {
			t.Fatalf("test data lacks %q", r.old)
		}
		want = strings.Replace(want, r.old, r.new, 1)
	}
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	again, err := FindInStream(out)
	if err != nil || len(again) != 7 {
		t.Fatalf("rewritten stream does not parse the same: %v %d", err, len(again))
	}
}

func TestRewriteRefusesMultilineScalar(t *testing.T) {
	stream := []byte("kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: >-\n      nginx\n")
	_, _, err := Pin(stream, Lock{Images: []Image{{Name: "docker.io/library/nginx", Tag: "latest", Digest: "sha256:" + strings.Repeat("c", 64)}}},
		func(string) string { return "m.example/p" })
	if err == nil || !strings.Contains(err.Error(), "Pod p") {
		t.Fatalf("got %v", err)
	}
}

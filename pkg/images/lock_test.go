package images

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	for _, c := range []struct{ in, name, tag, digest string }{
		{"nginx", "docker.io/library/nginx", "latest", ""},
		{"ghcr.io/acme/web:1.4", "ghcr.io/acme/web", "1.4", ""},
		{"localhost:5000/a/b", "localhost:5000/a/b", "latest", ""},
		{"ghcr.io/acme/web@sha256:0000000000000000000000000000000000000000000000000000000000000000", "ghcr.io/acme/web", "", "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
		{"ghcr.io/acme/web:1.4@sha256:0000000000000000000000000000000000000000000000000000000000000000", "ghcr.io/acme/web", "1.4", "sha256:0000000000000000000000000000000000000000000000000000000000000000"},
	} {
		r, err := ParseRef(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if r.Name != c.name || r.Tag != c.tag || r.Digest != c.digest {
			t.Errorf("%s: got %+v", c.in, r)
		}
	}
	if _, err := ParseRef("acme/Web"); err == nil {
		t.Error("uppercase repository accepted")
	}
}

func TestLockRoundTrip(t *testing.T) {
	l := Lock{Images: []Image{
		{Ref: "web:1", Name: "docker.io/library/web", Tag: "1", Digest: "sha256:bb"},
		{Ref: "a:1", Name: "docker.io/library/a", Tag: "1", Digest: "sha256:aa", Sources: []Source{{Kind: "Pod", Name: "p", Field: "b"}, {Kind: "Pod", Name: "p", Field: "a"}}},
	}}
	enc, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	enc2, _ := Lock{Images: []Image{l.Images[1], l.Images[0]}}.Encode()
	if enc != enc2 {
		t.Fatalf("order changes the encoding:\n%s\n%s", enc, enc2)
	}
	got, ok, err := FromAnnotations(map[string]string{AnnotationLock: enc})
	if err != nil || !ok || len(got.Images) != 2 || got.Images[0].Name != "docker.io/library/a" {
		t.Fatalf("got %+v %v %v", got, ok, err)
	}
	if _, ok := got.Lookup("docker.io/library/web:1"); !ok {
		t.Error("lookup by tag failed")
	}
}

func TestMirrorName(t *testing.T) {
	for _, c := range []struct{ prefix, repo, want string }{
		{"zone-a.example.com/mirror", "docker.io/library/nginx", "zone-a.example.com/mirror/docker.io/library/nginx"},
		{"zone:5000/mirror/", "hub.example.com:5443/a/b", "zone:5000/mirror/hub.example.com_5443/a/b"},
		{"zone", "127.0.0.1:5000/a", "zone/127.0.0.1_5000/a"},
	} {
		got := MirrorName(c.prefix, c.repo)
		if got != c.want {
			t.Errorf("MirrorName(%q, %q) = %q, want %q", c.prefix, c.repo, got, c.want)
		}
		if _, err := ParseRef(got + "@sha256:" + strings.Repeat("a", 64)); err != nil {
			t.Errorf("%s is not a valid reference: %v", got, err)
		}
	}
}

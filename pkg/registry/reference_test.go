package registry

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
)

const testDigest = digest.Digest("sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")

func TestParseReference(t *testing.T) {
	tests := []struct {
		in   string
		want Reference
		str  string // String() when it differs from in
	}{
		{in: "registry.example.com/app:1.0", want: Reference{Registry: "registry.example.com", Repository: "app", Tag: "1.0"}},
		{in: "registry.example.com/platform/team/app:1.4.0", want: Reference{Registry: "registry.example.com", Repository: "platform/team/app", Tag: "1.4.0"}},
		{in: "registry.example.com/app", want: Reference{Registry: "registry.example.com", Repository: "app"}},
		{in: "localhost:5000/app:latest", want: Reference{Registry: "localhost:5000", Repository: "app", Tag: "latest"}},
		{in: "127.0.0.1:5000/a/b", want: Reference{Registry: "127.0.0.1:5000", Repository: "a/b"}},
		{in: "[::1]:5000/a:v1", want: Reference{Registry: "[::1]:5000", Repository: "a", Tag: "v1"}},
		{in: "ghcr.io/org/app@" + testDigest.String(), want: Reference{Registry: "ghcr.io", Repository: "org/app", Digest: testDigest}},
		{in: "ghcr.io/org/app:1.0@" + testDigest.String(), want: Reference{Registry: "ghcr.io", Repository: "org/app", Tag: "1.0", Digest: testDigest}},
		{in: "localhost:5000/app:1.0@" + testDigest.String(), want: Reference{Registry: "localhost:5000", Repository: "app", Tag: "1.0", Digest: testDigest}},
		{in: "oci://ghcr.io/org/app:1.4.0", want: Reference{Registry: "ghcr.io", Repository: "org/app", Tag: "1.4.0"}, str: "ghcr.io/org/app:1.4.0"},
		{in: "oci://localhost:5000/charts/guestbook", want: Reference{Registry: "localhost:5000", Repository: "charts/guestbook"}, str: "localhost:5000/charts/guestbook"},
		{in: "oci://ghcr.io/org/app@" + testDigest.String(), want: Reference{Registry: "ghcr.io", Repository: "org/app", Digest: testDigest}, str: "ghcr.io/org/app@" + testDigest.String()},
		{in: "oci-layout:/tmp/out:1.0.0", want: Reference{Layout: "/tmp/out", Tag: "1.0.0"}},
		{in: "oci-layout:/tmp/out@" + testDigest.String(), want: Reference{Layout: "/tmp/out", Digest: testDigest}},
		{in: "oci-layout:/tmp/out", want: Reference{Layout: "/tmp/out"}},
		{in: "oci-layout:./out", want: Reference{Layout: "out"}, str: "oci-layout:out"},
		{in: "oci-layout:out/", want: Reference{Layout: "out"}, str: "oci-layout:out"},
		{in: "oci-layout:rel/dir:v2", want: Reference{Layout: filepath.Clean("rel/dir"), Tag: "v2"}},
		// a colon inside the path (before a slash) is part of the path, not a tag
		{in: "oci-layout:/tmp/a:b/c", want: Reference{Layout: "/tmp/a:b/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReference(tt.in)
			if err != nil {
				t.Fatalf("ParseReference(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseReference(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if got.IsLayout() != (tt.want.Layout != "") {
				t.Errorf("IsLayout = %v", got.IsLayout())
			}
			want := tt.str
			if want == "" {
				want = tt.in
			}
			if got.String() != want {
				t.Errorf("String() = %q, want %q", got.String(), want)
			}
			again, err := ParseReference(got.String())
			if err != nil || again != got {
				t.Errorf("String() does not round-trip: %q -> %+v, %v", got.String(), again, err)
			}
			if tt.want.Digest != "" && got.Reference() != tt.want.Digest.String() {
				t.Errorf("Reference() = %q, want the digest", got.Reference())
			}
		})
	}
}

func TestParseReferenceInvalid(t *testing.T) {
	for _, in := range []string{
		"",
		"app:1.0",                      // no registry
		"registry.example.com",         // no repository
		"registry.example.com/App:1.0", // upper case repository
		"registry.example.com/app:tag with space",
		"registry.example.com/app@sha256:abc",
		"registry.example.com/app@md5:" + testDigest.Encoded(),
		"oci://",
		"oci-layout:",
		"oci-layout:@" + testDigest.String(),
		"oci-layout:/tmp/out@sha256:nothex",
		"registry.example.com/app:",    // empty tag
		"registry.example.com:5000/a:", // empty tag after a port
		"oci-layout:/tmp/out:",         // empty layout tag
	} {
		t.Run(in, func(t *testing.T) {
			ref, err := ParseReference(in)
			if !errors.Is(err, ErrInvalidReference) {
				t.Fatalf("ParseReference(%q) = %+v, %v; want ErrInvalidReference", in, ref, err)
			}
		})
	}
}

func TestReferenceWithDigestAndTag(t *testing.T) {
	ref, err := ParseReference("oci://ghcr.io/org/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if got := ref.WithDigest(testDigest).String(); got != "ghcr.io/org/app@"+testDigest.String() {
		t.Errorf("WithDigest = %q", got)
	}
	if got := ref.WithDigest(testDigest).WithTag("2.0").String(); got != "ghcr.io/org/app:2.0" {
		t.Errorf("WithTag = %q", got)
	}
	if ref.Name() != "ghcr.io/org/app" {
		t.Errorf("Name = %q", ref.Name())
	}
	l, _ := ParseReference("oci-layout:/x:1")
	if l.Name() != "oci-layout:/x" || l.Reference() != "1" {
		t.Errorf("layout Name/Reference = %q %q", l.Name(), l.Reference())
	}
}

// TestParseReferenceHostSpellings: every spelling of one host parses to the same Registry, so policy
// matching and registry lookup cannot be sidestepped by case, the default port or a trailing dot.
func TestParseReferenceHostSpellings(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hub.example.com/platform/app:1.0", "hub.example.com"},
		{"HUB.EXAMPLE.COM/platform/app:1.0", "hub.example.com"},
		{"Hub.Example.Com/platform/app:1.0", "hub.example.com"},
		{"hub.example.com:443/platform/app:1.0", "hub.example.com"},
		{"hub.example.com./platform/app:1.0", "hub.example.com"},
		{"HUB.example.com.:443/platform/app:1.0", "hub.example.com"},
		{"oci://HUB.EXAMPLE.COM:443/platform/app:1.0", "hub.example.com"},
		{"hub.example.com:5000/platform/app:1.0", "hub.example.com:5000"},
		{"HUB.EXAMPLE.COM.:5000/platform/app:1.0", "hub.example.com:5000"},
		{"[::1]:443/platform/app:1.0", "[::1]"},
		{"[::1]:5000/platform/app:1.0", "[::1]:5000"},
		{"docker.io/library/app:1.0", "docker.io"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReference(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Registry != tt.want || got.Repository != "platform/app" && got.Repository != "library/app" || got.Tag != "1.0" {
				t.Fatalf("ParseReference(%q) = %+v, want registry %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLooksLikePath(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{".", true},
		{"..", true},
		{"./overlays/prod:1.0", true},
		{"../base", true},
		{"/srv/config", true},
		{"~/config", true},
		{"overlays/zone-b", true}, // "overlays" cannot be a registry host
		{"charts", true},          // no repository: not a reference
		{"registry.example.com/app:1", false},
		{"127.0.0.1:5000/app", false},
		{"localhost/app", false},
		{"oci://registry/app:1", false}, // forced reference
		{"oci-layout:./out:1", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := LooksLikePath(tt.in); got != tt.want {
				t.Errorf("LooksLikePath(%q) = %t, want %t", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hub.example.com", "hub.example.com"},
		{"HUB.EXAMPLE.COM", "hub.example.com"},
		{"hub.example.com:443", "hub.example.com"},
		{"hub.example.com.", "hub.example.com"},
		{"hub.example.com.:443", "hub.example.com"},
		{"hub.example.com:5000", "hub.example.com:5000"},
		{"LOCALHOST:5000", "localhost:5000"},
		{"127.0.0.1:443", "127.0.0.1"},
		{"[::1]", "[::1]"},
		{"[::1]:443", "[::1]"},
		{"[::1]:5000", "[::1]:5000"},
	}
	for _, tt := range tests {
		if got := NormalizeHost(tt.in); got != tt.want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := NormalizeHost(NormalizeHost(tt.in)); got != tt.want {
			t.Errorf("NormalizeHost is not idempotent on %q: %q", tt.in, got)
		}
	}
}

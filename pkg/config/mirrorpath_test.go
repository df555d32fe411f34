package config

import (
	"strings"
	"testing"
)

func TestMirrorPathMapping(t *testing.T) {
	tests := []struct {
		name             string
		e                Endpoint
		upstream, mirror string
		mirrorOK, upOK   bool
	}{
		{"same path", Endpoint{}, "platform/guestbook", "platform/guestbook", true, true},
		{"prefix (Harbor proxy cache)", Endpoint{PathPrefix: "hub-cache"}, "platform/guestbook", "hub-cache/platform/guestbook", true, true},
		{"strip", Endpoint{StripPrefix: "platform"}, "platform/guestbook", "guestbook", true, true},
		{"strip and prefix", Endpoint{StripPrefix: "platform", PathPrefix: "zone-a"}, "platform/guestbook", "zone-a/guestbook", true, true},
		{"deep prefixes", Endpoint{StripPrefix: "org/platform", PathPrefix: "zones/a"}, "org/platform/team/app", "zones/a/team/app", true, true},
		{"not under stripPrefix", Endpoint{StripPrefix: "platform"}, "apps/web", "", false, false},
		{"prefix is not a segment", Endpoint{StripPrefix: "plat"}, "platform/guestbook", "", false, false},
		{"nothing left", Endpoint{StripPrefix: "platform"}, "platform", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.e.MirrorPath(tt.upstream)
			if ok != tt.mirrorOK || got != tt.mirror {
				t.Fatalf("MirrorPath(%q) = %q, %v; want %q, %v", tt.upstream, got, ok, tt.mirror, tt.mirrorOK)
			}
			if !ok {
				return
			}
			back, ok := tt.e.UpstreamPath(got)
			if ok != tt.upOK || back != tt.upstream {
				t.Fatalf("UpstreamPath(%q) = %q, %v; want %q", got, back, ok, tt.upstream)
			}
		})
	}
}

func TestUpstreamOf(t *testing.T) {
	c, err := Parse([]byte(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: hub.example.com
    mirrors:
      - {host: zone-a.example.com:5000, stripPrefix: platform, pathPrefix: zone-a}
      - {host: harbor.example.com, pathPrefix: hub-cache}
  - host: other.example.com
    mirrors: [zone-a.example.com:5000]
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"zone-a.example.com:5000/zone-a/guestbook", "hub.example.com/platform/guestbook"},
		{"ZONE-A.example.com:5000/zone-a/team/app", "hub.example.com/platform/team/app"},
		{"harbor.example.com:443/hub-cache/platform/guestbook", "hub.example.com/platform/guestbook"},
		{"zone-a.example.com:5000/apps/web", "other.example.com/apps/web"}, // the second registry's plain mirror
		{"harbor.example.com/elsewhere/app", ""},
		{"hub.example.com/platform/guestbook", ""}, // the hub itself is not a mirror
		{"unknown.example.com/zone-a/guestbook", ""},
	}
	for _, tt := range tests {
		got, ok := c.UpstreamOf(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("UpstreamOf(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestMirrorPathValidation(t *testing.T) {
	head := "apiVersion: gitless.dev/v1alpha1\nkind: Config\n"
	tests := []struct{ name, doc, want string }{
		{"leading slash", head + "registries: [{host: h, mirrors: [{host: m, pathPrefix: /zone-a}]}]\n", "pathPrefix \"/zone-a\""},
		{"trailing slash", head + "registries: [{host: h, mirrors: [{host: m, stripPrefix: platform/}]}]\n", "stripPrefix \"platform/\""},
		{"dot dot", head + "registries: [{host: h, mirrors: [{host: m, pathPrefix: a/../b}]}]\n", "path segments"},
		{"on the registry itself", head + "registries: [{host: h, pathPrefix: zone-a}]\n", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() error = %v, want %q", err, tt.want)
			}
		})
	}
}

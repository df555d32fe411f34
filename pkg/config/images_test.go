package config

import (
	"errors"
	"strings"
	"testing"
)

func TestImagesMirror(t *testing.T) {
	doc := `apiVersion: gitless.dev/v1alpha1
kind: Config
images: {mirror: zone-a.example.com/mirror, caFile: /etc/ca.pem}
registries:
  - host: ghcr.io
    images: {mirror: "zone-a.example.com:5000/ghcr", plainHTTP: true}
policies:
  - match: "**"
    keys: [k.pub]
    requireLockedImages: true
`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.ImagesMirrorFor("docker.io/library/nginx"); m == nil || m.Mirror != "zone-a.example.com/mirror" || m.CAFile != "/etc/ca.pem" {
		t.Errorf("global mirror: %+v", m)
	}
	if m := c.ImagesMirrorFor("ghcr.io/acme/web"); m == nil || m.Mirror != "zone-a.example.com:5000/ghcr" || !m.PlainHTTP || m.Host() != "zone-a.example.com:5000" {
		t.Errorf("registry mirror: %+v", m)
	}
	if !c.Policies[0].RequireLockedImages || !c.HasImagesMirror() {
		t.Error("requireLockedImages or mirror lost")
	}
	if (&Config{}).HasImagesMirror() {
		t.Error("empty config has a mirror")
	}
	for _, bad := range []string{"mirror", "https://zone/m", "zone.example.com/Mirror", "zone.example.com/m:tag", "", "zone.example.com/m@sha256:" + strings.Repeat("a", 64)} {
		_, err := Parse([]byte(strings.Replace(doc, "zone-a.example.com/mirror", bad, 1)))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "images.mirror") {
			t.Errorf("mirror %q: %v", bad, err)
		}
	}
	if _, err := Parse([]byte(strings.Replace(doc, "caFile:", "cafile:", 1))); err == nil {
		t.Error("unknown field in images accepted")
	}
}

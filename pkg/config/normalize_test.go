package config

import (
	"strings"
	"testing"
)

// TestHostSpellings: whichever way the configuration or the reference spells a host (case, default
// port, trailing dot), the same registry entry and the same policy apply; before normalisation
// "HUB.EXAMPLE.COM/platform/app" fell through to the catch-all policy and skipped the registry.
func TestHostSpellings(t *testing.T) {
	tests := []struct{ name, configHost, globHost string }{
		{"plain", "hub.example.com", "hub.example.com"},
		{"upper case in config", "HUB.EXAMPLE.COM", "HUB.Example.com"},
		{"default port in config", "hub.example.com:443", "hub.example.com:443"},
		{"trailing dot in config", "hub.example.com.", "hub.example.com."},
		{"all at once", "Hub.Example.Com.:443", "HUB.EXAMPLE.COM.:443"},
	}
	lookups := []string{"hub.example.com", "HUB.EXAMPLE.COM", "hub.example.com:443", "hub.example.com.", "Hub.Example.Com.:443"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: "` + tt.configHost + `"
    caFile: /etc/ca.pem
    mirrors: ["ZONE-A.EXAMPLE.COM:443"]
policies:
  - match: "` + tt.globHost + `/platform/**"
    keys: [/keys/platform.pub]
  - match: "**"
    keys: [/keys/other.pub]
`
			c, err := Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Registries[0].Mirrors[0].Host; got != "zone-a.example.com" {
				t.Errorf("mirror host = %q", got)
			}
			for _, host := range lookups {
				if r := c.RegistryFor(host); r == nil || r.CAFile != "/etc/ca.pem" {
					t.Errorf("RegistryFor(%q) = %+v, want the configured registry", host, r)
				}
				p, err := c.PolicyFor(host + "/platform/app")
				if err != nil || p.Keys[0] != "/keys/platform.pub" {
					t.Errorf("PolicyFor(%q) = %+v, %v; want the platform policy", host+"/platform/app", p, err)
				}
			}
			for _, other := range []string{"hub.example.com:5000", "hub.example.com.evil", "zone-a.example.com"} {
				if r := c.RegistryFor(other); r != nil {
					t.Errorf("RegistryFor(%q) found %q", other, r.Host)
				}
				if p, _ := c.PolicyFor(other + "/platform/app"); p == nil || p.Keys[0] != "/keys/other.pub" {
					t.Errorf("PolicyFor(%q) = %+v, want the catch-all", other, p)
				}
			}
		})
	}
}

func TestPlainHTTPOnDefaultPortRefused(t *testing.T) {
	doc := "apiVersion: gitless.dev/v1alpha1\nkind: Config\nregistries: [{host: 'hub:443', plainHTTP: true}]\n"
	if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), "port 443") {
		t.Fatalf("Parse() error = %v, want a refusal naming port 443", err)
	}
}

// TestPolicyBuiltInCode: a policy that never went through Parse matches normalised hosts too.
func TestPolicyBuiltInCode(t *testing.T) {
	p := &Policy{Match: "HUB.example.com:443/platform/**", Keys: []string{"k"}}
	if !p.Matches("hub.example.com./platform/app") {
		t.Fatal("Matches: the host spellings differ only by case, port 443 and the trailing dot")
	}
}

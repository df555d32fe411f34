package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadIssueExample(t *testing.T) {
	c, err := Load("testdata/issue4.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Registries) != 1 || c.Registries[0].Host != "hub.example.com:5000" || !c.Registries[0].PlainHTTP {
		t.Fatalf("registries = %+v", c.Registries)
	}
	if m := c.Registries[0].Mirrors; len(m) != 1 || m[0].Host != "zone-a.example.com:5000" {
		t.Fatalf("mirrors = %+v", m)
	}
	if len(c.Policies) != 2 || c.Policies[1].Keyless == nil || c.Policies[1].Keyless.SubjectRegExp != "^https://ci.example/.*$" {
		t.Fatalf("policies = %+v", c.Policies)
	}
	if c.RegistryFor("hub.example.com:5000") == nil || c.RegistryFor("other") != nil {
		t.Fatal("RegistryFor")
	}
}

func TestParseErrors(t *testing.T) {
	head := "apiVersion: gitless.dev/v1alpha1\nkind: Config\n"
	tests := []struct{ name, doc, want string }{
		{"unknown top-level field", head + "policy: []\n", "unknown field"},
		{"unknown policy field", head + "policies: [{match: 'a/**', keys: [k], subjectRegexp: x}]\n", "unknown field"},
		{"unknown keyless field", head + "policies: [{match: 'a/**', keyless: {issuer: i, subject: s, sujbect: x}}]\n", "unknown field"},
		{"unknown registry field", head + "registries: [{host: h, plainHttp: true}]\n", "unknown field"},
		{"unknown mirror field", head + "registries: [{host: h, mirrors: [{host: m, plainHttp: true}]}]\n", "unknown field"},
		{"case-folded field", head + "policies: [{match: 'a/**', keyless: {issuer: i, subjectregexp: x}}]\n", "unknown field"},
		{"duplicate field", head + "policies: [{match: 'a/**', keys: [k], keys: [j]}]\n", "already set"},
		{"wrong apiVersion", "apiVersion: v1\nkind: Config\n", "apiVersion"},
		{"wrong kind", "apiVersion: gitless.dev/v1alpha1\nkind: Policy\n", "kind"},
		{"policy without trust", head + "policies: [{match: 'a/**'}]\n", "exactly one"},
		{"keys and insecure", head + "policies: [{match: 'a/**', keys: [k], insecureAcceptUnsigned: true}]\n", "exactly one"},
		{"keyless without subject", head + "policies: [{match: 'a/**', keyless: {issuer: i}}]\n", "subject"},
		{"keyless without issuer", head + "policies: [{match: 'a/**', keyless: {subject: s}}]\n", "issuer"},
		{"bad regexp", head + "policies: [{match: 'a/**', keyless: {issuer: i, subjectRegExp: '('}}]\n", "missing closing"},
		{"bad glob", head + "policies: [{match: 'a/[ab]', keys: [k]}]\n", "not supported"},
		{"bad duration", head + "limits: {requestTimeout: 10}\n", "duration"},
		{"negative verificationTTL", head + "cache: {verificationTTL: -1m}\n", "verificationTTL"},
		{"unknown cache field", head + "cache: {verificationTtl: 1m}\n", "unknown field"},
		{"requireTagBinding false", head + "policies: [{match: 'a/**', keys: [k], requireTagBinding: false}]\n", "allowUnboundTags: true"},
		{"allowUnboundTags and requireTagBinding", head + "policies: [{match: 'a/**', keys: [k], allowUnboundTags: true, requireTagBinding: true}]\n", "contradicts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() error = %v, want ErrInvalid containing %q", err, tt.want)
			}
		})
	}
}

func TestPolicyFor(t *testing.T) {
	c, err := Parse([]byte(`apiVersion: gitless.dev/v1alpha1
kind: Config
policies:
  - match: "hub:5000/platform/special"
    keys: [special.pub]
  - match: "hub:5000/platform/**"
    keys: [platform.pub]
  - match: "hub:5000/*"
    keys: [top.pub]
  - match: "dev:5000/**"
    insecureAcceptUnsigned: true
limits: {maxFiles: 10, requestTimeout: 30s}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.RequestTimeout.Duration != 30*time.Second || c.Limits.MaxFiles != 10 {
		t.Fatalf("limits = %+v", c.Limits)
	}
	tests := []struct{ repo, key string }{
		{"hub:5000/platform/special", "special.pub"}, // first match wins over the broader glob
		{"hub:5000/platform/a/b/c", "platform.pub"},  // ** spans slashes
		{"hub:5000/app", "top.pub"},
		{"hub:5000/app/sub", ""}, // * stays within a segment
		{"hub:5000/platformx", "top.pub"},
		{"hubx5000/platform/a", ""},   // dots and colons are literal
		{"other:5000/platform/a", ""}, // no match is refused
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			p, err := c.PolicyFor(tt.repo)
			if tt.key == "" {
				if !errors.Is(err, ErrNoMatchingPolicy) {
					t.Fatalf("PolicyFor() = %+v, %v; want ErrNoMatchingPolicy", p, err)
				}
				return
			}
			if err != nil || p.Keys[0] != tt.key {
				t.Fatalf("PolicyFor() = %+v, %v; want keys %s", p, err, tt.key)
			}
		})
	}
	p, err := c.PolicyFor("dev:5000/x")
	if err != nil || !p.InsecureAcceptUnsigned {
		t.Fatalf("insecure policy = %+v, %v", p, err)
	}
}

func TestHashChangesWithContent(t *testing.T) {
	doc := "apiVersion: gitless.dev/v1alpha1\nkind: Config\npolicies: [{match: 'a/**', keys: [k1]}]\n"
	a, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Parse([]byte(doc))
	c, _ := Parse([]byte(strings.Replace(doc, "k1", "k2", 1)))
	if a.Hash() != b.Hash() || a.Hash() == c.Hash() {
		t.Fatal("config hash must depend on content only")
	}
	if a.Policies[0].Hash() == c.Policies[0].Hash() {
		t.Fatal("policy hash must depend on keys")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load() error = %v", err)
	}
}

func TestCacheVerificationTTL(t *testing.T) {
	c, err := Parse([]byte("apiVersion: gitless.dev/v1alpha1\nkind: Config\ncache: {verificationTTL: 30m}\n"))
	if err != nil || c.Cache.VerificationTTL.Duration != 30*time.Minute {
		t.Fatalf("Parse() = %+v, %v", c, err)
	}
}

func TestTagBindingFields(t *testing.T) {
	head := "apiVersion: gitless.dev/v1alpha1\nkind: Config\npolicies: [{match: 'a/**', keys: [k]"
	tests := []struct {
		name, fields string
		allow        bool
	}{
		{"default binds tags", "", false},
		{"deprecated requireTagBinding true", ", requireTagBinding: true", false},
		{"opt-in", ", allowUnboundTags: true", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(head + tt.fields + "}]\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Policies[0].AllowUnboundTags; got != tt.allow {
				t.Fatalf("AllowUnboundTags = %t, want %t", got, tt.allow)
			}
		})
	}
}

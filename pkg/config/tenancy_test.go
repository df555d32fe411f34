package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/pkg/registry"
)

const tenancyDoc = `apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: hub.example.com
    credentialsFile: /creds/shared.json
    credentials:
      - {projects: [team-a], credentialsFile: /creds/team-a.json}
      - {projects: ["team-b*"], credentialsFile: /creds/team-b.json}
    mirrors: [zone.example.com]
  - host: private.example.com
    credentials:
      - {projects: [platform], credentialsFile: /creds/platform.json}
policies:
  - match: hub.example.com/team-a/**
    projects: [team-a]
    keys: [team-a.pub]
  - match: hub.example.com/team-b/**
    projects: ["team-b*"]
    keys: [team-b.pub]
  - match: hub.example.com/shared/**
    keys: [platform.pub]
`

// TestPolicyForProject: a scoped policy renders only for its projects and never for a request without
// one; an unscoped policy renders for every request; a broader policy later in the list never stands
// in for a scoped one that refused.
func TestPolicyForProject(t *testing.T) {
	c, err := Parse([]byte(tenancyDoc + "  - match: '**'\n    insecureAcceptUnsigned: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, repo, project string
		want                string   // the policy's match, or "" for a refusal
		msg                 []string // what the refusal names
	}{
		{"team A renders its own", "hub.example.com/team-a/app", "team-a", "hub.example.com/team-a/**", nil},
		{"team B refused team A's", "HUB.example.com:443/team-a/app", "team-b", "",
			[]string{`project "team-b"`, "hub.example.com/team-a/app", `policy "hub.example.com/team-a/**"`, "[team-a]"}},
		{"glob scope", "hub.example.com/team-b/app", "team-b-prod", "hub.example.com/team-b/**", nil},
		{"no project refused by a scoped policy", "hub.example.com/team-a/app", "", "",
			[]string{"names no Argo CD project", "hub.example.com/team-a/app", `policy "hub.example.com/team-a/**"`, "ARGOCD_APP_PROJECT_NAME"}},
		{"unscoped for team A", "hub.example.com/shared/app", "team-a", "hub.example.com/shared/**", nil},
		{"unscoped for team B", "hub.example.com/shared/app", "team-b", "hub.example.com/shared/**", nil},
		{"unscoped without a project", "hub.example.com/shared/app", "", "hub.example.com/shared/**", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.PolicyForProject(tt.repo, tt.project)
			if tt.want != "" {
				if err != nil || p.Match != tt.want {
					t.Fatalf("PolicyForProject = %v, %v; want %s", p, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrProjectNotAllowed) {
				t.Fatalf("PolicyForProject error = %v, want ErrProjectNotAllowed", err)
			}
			for _, s := range tt.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
		})
	}
	if _, err := c.PolicyFor("hub.example.com/team-a/app"); !errors.Is(err, ErrProjectNotAllowed) {
		t.Fatalf("PolicyFor (no project) on a scoped policy = %v, want ErrProjectNotAllowed", err)
	}
}

// TestScopedCredentials: a project gets its own scoped credentials file; a project no entry names
// gets the unscoped file, or no credentials at all (Anonymous, not the default docker config) when
// the registry has none; mirrors named by host take the registry's credentials as a whole.
func TestScopedCredentials(t *testing.T) {
	c, err := Parse([]byte(tenancyDoc))
	if err != nil {
		t.Fatal(err)
	}
	base := registry.Options{Username: "u", Password: "p"}
	tests := []struct {
		name, host, project, file string
		anonymous                 bool
	}{
		{"team A's file", "hub.example.com", "team-a", "/creds/team-a.json", false},
		{"team B by glob", "hub.example.com", "team-b-prod", "/creds/team-b.json", false},
		{"other project: unscoped file", "hub.example.com", "team-c", "/creds/shared.json", false},
		{"no project: unscoped file", "hub.example.com", "", "/creds/shared.json", false},
		{"platform's file", "private.example.com", "platform", "/creds/platform.json", false},
		{"other project: anonymous", "private.example.com", "team-a", "", true},
		{"no project: anonymous", "private.example.com", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := c.RegistryOptionsFor(tt.host, tt.project, base)
			if o.DockerConfig != tt.file || o.Anonymous != tt.anonymous {
				t.Fatalf("DockerConfig, Anonymous = %q, %t; want %q, %t", o.DockerConfig, o.Anonymous, tt.file, tt.anonymous)
			}
		})
	}
	m := c.MirrorEndpoint(c.Registries[0].Mirrors[0])
	if f, _ := m.CredentialsFileFor("team-a"); f != "" {
		t.Fatalf("mirror without an entry of its own took %q", f)
	}
	c.Registries = append(c.Registries, Registry{Endpoint: Endpoint{Host: "zone.example.com",
		Credentials: []ScopedCredentials{{Projects: []string{"team-a"}, CredentialsFile: "/creds/zone-a.json"}}}})
	if f, scoped := c.MirrorEndpoint(c.Registries[0].Mirrors[0]).CredentialsFileFor("team-b"); f != "" || !scoped {
		t.Fatalf("mirror for team-b = %q, %t; want no credentials (scoped)", f, scoped)
	}
}

func TestTenancyParseErrors(t *testing.T) {
	head := "apiVersion: gitless.dev/v1alpha1\nkind: Config\n"
	tests := []struct{ name, doc, want string }{
		{"empty projects", head + "policies: [{match: 'a/**', keys: [k], projects: []}]\n", "projects is empty"},
		{"bad project glob", head + "policies: [{match: 'a/**', keys: [k], projects: ['team-[']}]\n", "syntax error"},
		{"empty project name", head + "policies: [{match: 'a/**', keys: [k], projects: ['']}]\n", "empty name"},
		{"credentials without projects", head + "registries: [{host: h, credentials: [{credentialsFile: f}]}]\n", "projects is required"},
		{"credentials without file", head + "registries: [{host: h, credentials: [{projects: [a]}]}]\n", "credentialsFile is required"},
		{"mirror credentials without file", head + "registries: [{host: h, mirrors: [{host: m, credentials: [{projects: [a]}]}]}]\n", "credentialsFile is required"},
		{"unknown credentials field", head + "registries: [{host: h, credentials: [{projects: [a], credentialsFile: f, project: b}]}]\n", "unknown field"},
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

func TestUnscopedTeams(t *testing.T) {
	head := "apiVersion: gitless.dev/v1alpha1\nkind: Config\npolicies:\n"
	tests := []struct {
		name, policies string
		want           int
	}{
		{"two teams, no scopes", "- {match: 'hub/team-a/**', keys: [k]}\n- {match: 'hub/team-b/**', keys: [k]}\n", 2},
		{"one scope is enough", "- {match: 'hub/team-a/**', keys: [k], projects: [a]}\n- {match: 'hub/team-b/**', keys: [k]}\n", 0},
		{"one team", "- {match: 'hub/team-a/**', keys: [k]}\n- {match: 'hub/team-a/x', keys: [k]}\n", 0},
		{"wildcards name no team", "- {match: 'hub/**', keys: [k]}\n- {match: 'hub/*/x', keys: [k]}\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(head + tt.policies))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.UnscopedTeams(); len(got) != tt.want {
				t.Fatalf("UnscopedTeams = %v, want %d groups", got, tt.want)
			}
		})
	}
}

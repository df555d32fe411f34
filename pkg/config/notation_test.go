package config

import (
	"errors"
	"strings"
	"testing"
)

func TestNotationPolicy(t *testing.T) {
	head := "apiVersion: gitless.dev/v1alpha1\nkind: Config\npolicies:\n"
	n := "notation: {certificates: [ca.crt], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme']}"
	valid := []struct{ name, policy string }{
		{"notation alone", "- {match: 'a/**', " + n + "}"},
		{"notation with keys", "- {match: 'a/**', keys: [k], " + n + "}"},
		{"both kinds required", "- {match: 'a/**', keyless: {issuer: i, subject: s}, requireAllKinds: true, " + n + "}"},
		{"permissive, signing authority, any signer", "- {match: 'a/**', notation: {certificates: [d], trustStoreType: signingAuthority, verificationLevel: permissive, trustedIdentities: ['*']}}"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(head + tt.policy + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if p := c.Policies[0]; p.Notation == nil || p.Notation.Level() == "" {
				t.Fatalf("policy = %+v", p)
			}
		})
	}
	invalid := []struct{ name, policy, want string }{
		{"no certificates", "- {match: 'a/**', notation: {trustedIdentities: ['*']}}", "certificates is required"},
		{"no identities", "- {match: 'a/**', notation: {certificates: [c]}}", "trustedIdentities is required"},
		{"identity not x509.subject", "- {match: 'a/**', notation: {certificates: [c], trustedIdentities: ['CN=Acme']}}", "x509.subject"},
		{"audit level", "- {match: 'a/**', notation: {certificates: [c], trustedIdentities: ['*'], verificationLevel: audit}}", "untrusted signers"},
		{"skip level", "- {match: 'a/**', notation: {certificates: [c], trustedIdentities: ['*'], verificationLevel: skip}}", "untrusted signers"},
		{"unknown store type", "- {match: 'a/**', notation: {certificates: [c], trustedIdentities: ['*'], trustStoreType: tsa}}", "trustStoreType"},
		{"requireAllKinds without cosign", "- {match: 'a/**', requireAllKinds: true, " + n + "}", "requireAllKinds needs both"},
		{"notation with insecure", "- {match: 'a/**', insecureAcceptUnsigned: true, " + n + "}", "excludes"},
		{"unknown notation field", "- {match: 'a/**', notation: {certificates: [c], trustedIdentities: ['*'], level: strict}}", "unknown field"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(head + tt.policy + "\n"))
			if err == nil || !errors.Is(err, ErrInvalid) && !strings.Contains(err.Error(), "unknown field") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() error = %v, want %q", err, tt.want)
			}
		})
	}
}

package config

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestCheckAnchored(t *testing.T) {
	tests := []struct {
		expr string
		want string // the suggested form; "" = accepted
	}{
		{``, ""},
		{`^ci@example\.com$`, ""},
		{`^.*@example\.com$`, ""},
		{`\Aci@example\.com\z`, ""},
		{`^(ci|release)@example\.com$`, ""},
		{`^ci@example\.com$|^release@example\.com$`, ""},
		{`^https://github\.com/org/repo/\.github/workflows/.*$`, ""},
		{`@example\.com`, `^@example\.com$`},
		{`.*@example\.com`, `^.*@example\.com$`},
		{`^ci@example\.com`, `^ci@example\.com$`},
		{`ci@example\.com$`, `^ci@example\.com$`},
		{`^ci@example\.com$|release@example\.com`, `^(?:ci@example\.com$|release@example\.com)$`},
		{`(?m)^ci@example\.com$`, `^(?:(?m)^ci@example\.com)$`},
		{`^(?:(?m)^ci@example\.com)$`, ""},
		{`^a$|`, `^(?:a$|)$`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			err := CheckAnchored("subjectRegExp", tt.expr)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckAnchored(%q) = %v, want accepted", tt.expr, err)
				}
				return
			}
			if !errors.Is(err, ErrUnanchoredRegExp) || !strings.Contains(err.Error(), `"`+strings.ReplaceAll(tt.want, `\`, `\\`)+`"`) {
				t.Fatalf("CheckAnchored(%q) = %v, want ErrUnanchoredRegExp suggesting %q", tt.expr, err, tt.want)
			}
		})
	}
}

// TestUnanchoredKeylessRefused: the example, "@example\.com", matches an attacker's identity,
// so a configuration holding it is refused at load with the anchored form to write instead.
func TestUnanchoredKeylessRefused(t *testing.T) {
	if !regexp.MustCompile(`@example\.com`).MatchString("mallory@example.com.evil") {
		t.Fatal("premise: an unanchored expression matches a longer identity")
	}
	head := "apiVersion: gitless.dev/v1alpha1\nkind: Config\n"
	tests := []struct{ name, keyless, want string }{
		{"subject", `{issuer: i, subjectRegExp: '@example\.com'}`, `subjectRegExp "@example\\.com" can match inside a longer name; anchor it as "^@example\\.com$"`},
		{"issuer", `{issuerRegExp: 'https://issuer\.example', subject: s}`, `issuerRegExp "https://issuer\\.example"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(head + "policies: [{match: 'a/**', keyless: " + tt.keyless + "}]\n"))
			if !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrUnanchoredRegExp) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse() error = %v, want ErrUnanchoredRegExp containing %s", err, tt.want)
			}
		})
	}
}

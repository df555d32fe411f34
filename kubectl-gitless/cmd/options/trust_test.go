package options

import (
	"errors"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/pkg/config"
)

func TestTrustValidateAnchoredRegExps(t *testing.T) {
	tests := []struct {
		name string
		o    Trust
		want string // "" = valid
	}{
		{"anchored", Trust{CertIdentityRegExp: `^.*@example\.com$`, CertOIDCIssuerRegExp: `^https://issuer\.example$`}, ""},
		{"exact", Trust{CertIdentity: "ci@example.com", CertOIDCIssuer: "https://issuer.example"}, ""},
		{"identity unanchored", Trust{CertIdentityRegExp: `@example\.com`, CertOIDCIssuer: "https://issuer.example"}, `--certificate-identity-regexp "@example\\.com" can match inside a longer name; anchor it as "^@example\\.com$"`},
		{"issuer unanchored", Trust{CertIdentity: "ci@example.com", CertOIDCIssuerRegExp: `https://issuer\.example$`}, `--certificate-oidc-issuer-regexp`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, config.ErrUnanchoredRegExp) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want ErrUnanchoredRegExp containing %s", err, tt.want)
			}
		})
	}
}

package signature_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

func TestKeyless(t *testing.T) {
	ctx := context.Background()
	const issuer, email = "https://issuer.example", "ci@example.com"
	ca, rogue := sigtest.NewCA(t, "test fulcio"), sigtest.NewCA(t, "rogue")
	rootFile := ca.WriteTrustedRoot(t, t.TempDir())
	good, untrusted := ca.Issue(t, email, issuer).Signer, rogue.Issue(t, email, issuer).Signer
	tests := []struct {
		name    string
		signer  *signature.Signer
		keyless config.Keyless
		want    error
	}{
		{"exact identity", good, config.Keyless{Issuer: issuer, Subject: email}, nil},
		{"regexp identity", good, config.Keyless{IssuerRegExp: `^https://issuer\.example$`, SubjectRegExp: `@example\.com$`}, nil},
		{"subject mismatch", good, config.Keyless{Issuer: issuer, Subject: "someone@example.com"}, signature.ErrNoValidSignature},
		{"issuer mismatch", good, config.Keyless{Issuer: "https://other.example", SubjectRegExp: ".*"}, signature.ErrNoValidSignature},
		{"certificate from an untrusted CA", untrusted, config.Keyless{Issuer: issuer, Subject: email}, signature.ErrNoValidSignature},
	}
	for _, kind := range testregistry.Kinds {
		for _, format := range formats {
			for _, tt := range tests {
				t.Run(string(kind)+"/"+string(format)+"/"+tt.name, func(t *testing.T) {
					reg := testregistry.New(t, kind)
					repo, repository := sigtest.NewRepo(t, reg, "apps/web")
					desc := sigtest.PushArtifact(t, repo, "1.0", "keyless")
					if _, err := signature.Sign(ctx, repo, tt.signer, repository, desc, signature.WithFormat(format), signature.WithTag("1.0")); err != nil {
						t.Fatal(err)
					}
					kl := tt.keyless
					kl.TrustedRoot = rootFile
					v, err := signature.NewVerifier(&config.Policy{Match: "**", Keyless: &kl})
					if err != nil {
						t.Fatal(err)
					}
					res, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.0")
					if !errors.Is(err, tt.want) || (err != nil && signature.ExitCode(err) != 12) {
						t.Fatalf("Verify() = %+v, %v; want %v", res, err, tt.want)
					}
					if err == nil && (res.Signatures[0].CertSubject != email || res.Signatures[0].CertIssuer != issuer || !res.TagBound) {
						t.Fatalf("result = %+v", res.Signatures[0])
					}
					t.Log(err)
				})
			}
		}
	}
}

func TestKeylessNeedsTrustedRoot(t *testing.T) {
	_, err := signature.NewVerifier(&config.Policy{Match: "**", Keyless: &config.Keyless{Issuer: "i", Subject: "s"}})
	if err == nil {
		t.Fatal("keyless without a trusted root must be refused")
	}
}

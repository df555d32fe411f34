package interop

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestCosign3Interop runs the cosign v3 CLI (v3.1.3, installed as bin/cosign3) against gitless,
// offline, on both registry kinds: what cosign v3 writes by default (a Sigstore bundle referrer),
// with --new-bundle-format=false (the legacy .sig tag) and with --registry-referrers-mode=oci-1-1,
// gitless verifies and copies; what gitless writes, cosign v3 verifies with a key and keyless.
func TestCosign3Interop(t *testing.T) {
	c := &cosignCLI{bin: cosignBinNamed(t, "cosign3"), home: t.TempDir()}
	ctx := context.Background()
	emptyRoot := filepath.Join(c.home, "empty-trusted-root.json")
	if err := os.WriteFile(emptyRoot, []byte(emptyTrustedRoot), 0o644); err != nil {
		t.Fatal(err)
	}
	k := cosignKeys(t, c, t.TempDir())
	offline := flags("--tlog-upload=false --use-signing-config=false -y", registryFlags)
	signModes := []struct {
		name   string
		args   []string
		env    []string
		format signature.Format
		bound  bool // cosign's -a reaches the signed payload only in the legacy form
	}{
		{"default", nil, nil, signature.FormatBundle, false},
		{"new-bundle-format=false", flags("--new-bundle-format=false -a", signature.TagAnnotation+"=1.4.0"), nil, signature.FormatLegacy, true},
		{"registry-referrers-mode=oci-1-1", flags("--new-bundle-format=false --registry-referrers-mode=oci-1-1 -a", signature.TagAnnotation+"=1.4.0"),
			[]string{"COSIGN_EXPERIMENTAL=1"}, signature.FormatLegacy, true},
	}
	for _, kind := range testregistry.Kinds {
		for _, m := range signModes {
			t.Run("cosign3-sign/gitless-verify/"+string(kind)+"/"+m.name, func(t *testing.T) {
				hub, zone := testregistry.New(t, kind), testregistry.New(t, kind)
				repo, repository := sigtest.NewRepo(t, hub, "apps/web")
				desc := sigtest.PushArtifact(t, repo, "1.4.0", m.name)
				args := append(append(flags("sign --key", k.priv), offline...), m.args...)
				if out, err := c.runEnv(t, k.password, m.env, append(args, repository+"@"+desc.Digest.String())...); err != nil {
					t.Fatalf("cosign3 sign: %v\n%s", err, out)
				}
				if _, err := sigtest.OpenRepo(t, repository).Resolve(ctx, signature.LegacyTag(desc.Digest)); (err == nil) != (m.name == "new-bundle-format=false") {
					t.Fatalf("the .sig tag exists: %v; want it only with --new-bundle-format=false", err == nil)
				}
				v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{k.pub}})
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, desc.Digest.String())
				if err != nil || res.Signatures[0].Format != m.format {
					t.Fatalf("Verify(digest) = %+v, %v", res, err)
				}
				_, err = v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.4.0")
				if m.bound != (err == nil) || (!m.bound && !errors.Is(err, signature.ErrTagNotBound)) {
					t.Fatalf("Verify(tag) = %v, want bound=%v", err, m.bound)
				}
				// copy carries what cosign v3 wrote; the zone's copy verifies the same
				zoneRepository := zone.Host + "/apps/web"
				src, _ := registry.ParseReference(repository + ":1.4.0")
				dst, _ := registry.ParseReference(zoneRepository + ":1.4.0")
				if _, err := artifact.Copy(ctx, sigtest.OpenRepo(t, repository), src, sigtest.OpenRepo(t, zoneRepository), dst, []string{"1.4.0"}, artifact.CopyOptions{}); err != nil {
					t.Fatal(err)
				}
				if res, err := v.Verify(ctx, sigtest.OpenRepo(t, zoneRepository), zoneRepository, desc.Digest.String()); err != nil || res.Signatures[0].Format != m.format {
					t.Fatalf("Verify(zone copy) = %+v, %v", res, err)
				}
			})
		}
		for _, format := range []signature.Format{signature.FormatBundle, signature.FormatLegacy} {
			t.Run("gitless-sign/cosign3-verify/"+string(kind)+"/"+string(format), func(t *testing.T) {
				reg := testregistry.New(t, kind)
				repo, repository := sigtest.NewRepo(t, reg, "apps/web")
				desc := sigtest.PushArtifact(t, repo, "1.4.0", string(format))
				if _, err := signature.Sign(ctx, repo, k.signer, repository, desc, signature.WithFormat(format), signature.WithTag("1.4.0")); err != nil {
					t.Fatal(err)
				}
				args := flags("verify --key", k.pub, "--insecure-ignore-tlog=true", registryFlags)
				if format == signature.FormatBundle {
					args = append(args, flags("--new-bundle-format --trusted-root", emptyRoot)...)
				} else {
					args = append(args, flags("--new-bundle-format=false -a", signature.TagAnnotation+"=1.4.0")...)
				}
				if out, err := c.run(t, "", append(args, repository+"@"+desc.Digest.String())...); err != nil {
					t.Fatalf("cosign3 verify: %v\n%s", err, out)
				}
			})
		}
	}
	f := newKeylessFiles(t)
	for _, kind := range testregistry.Kinds {
		t.Run("gitless-sign-keyless/cosign3-verify/"+string(kind), func(t *testing.T) {
			reg := testregistry.New(t, kind)
			repo, repository := sigtest.NewRepo(t, reg, "apps/web")
			desc := sigtest.PushArtifact(t, repo, "1.0", "keyless")
			if _, err := signature.Sign(ctx, repo, f.signer, repository, desc, signature.WithTag("1.0")); err != nil {
				t.Fatal(err)
			}
			args := flags("verify --new-bundle-format --certificate-identity", testIdentity, "--certificate-oidc-issuer", testIssuer,
				"--trusted-root", f.trustedRoot, "--insecure-ignore-tlog=true --insecure-ignore-sct=true", registryFlags)
			if out, err := c.run(t, "", append(args, repository+"@"+desc.Digest.String())...); err != nil {
				t.Fatalf("cosign3 verify (keyless): %v\n%s", err, out)
			}
		})
	}
}

package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// cosignPredicate is a SLSA v1 predicate as a pipeline hands it to `cosign attest --type slsaprovenance1`.
const cosignPredicate = `{"buildDefinition":{"buildType":"https://ci.example.com/build/v1","externalParameters":{"ref":"refs/heads/main"},
"resolvedDependencies":[{"uri":"git+https://git.example.com/platform/config@refs/heads/main","digest":{"gitCommit":"0123456789abcdef0123456789abcdef01234567"}}]},
"runDetails":{"builder":{"id":"https://ci.example.com/runners/1"}}}`

// TestProvenanceInterop: what gitless attests, `cosign verify-attestation --type slsaprovenance1 --key`
// accepts; what `cosign attest --type slsaprovenance1` writes, the provenance policy accepts (and
// refuses for a source it does not allow); in both storage forms, on both registry kinds; and copy
// carries the attestation to another registry, where it still verifies.
func TestProvenanceInterop(t *testing.T) {
	c := &cosignCLI{bin: cosignBin(t), home: t.TempDir()}
	ctx := context.Background()
	emptyRoot := filepath.Join(c.home, "empty-trusted-root.json")
	if err := os.WriteFile(emptyRoot, []byte(emptyTrustedRoot), 0o644); err != nil {
		t.Fatal(err)
	}
	predicate := filepath.Join(c.home, "predicate.json")
	if err := os.WriteFile(predicate, []byte(cosignPredicate), 0o644); err != nil {
		t.Fatal(err)
	}
	k := libraryKeys(t, t.TempDir())
	allowed := &config.Provenance{SourceRepositories: []string{"https://git.example.com/platform/*"}, Refs: []string{"refs/heads/main"}}
	for _, kind := range testregistry.Kinds {
		for _, format := range []signature.Format{signature.FormatBundle, signature.FormatLegacy} {
			name := fmt.Sprintf("%s/%s", kind, format)
			cosignFlags := flags("--key", k.pub, "--insecure-ignore-tlog=true", registryFlags)
			if format == signature.FormatBundle {
				cosignFlags = append(cosignFlags, flags("--new-bundle-format --trusted-root", emptyRoot)...)
			}
			t.Run("gitless-attest/cosign-verify-attestation/"+name, func(t *testing.T) {
				reg := testregistry.New(t, kind)
				repo, repository := sigtest.NewRepo(t, reg, "platform/app")
				desc := sigtest.PushArtifact(t, repo, "1.0", name)
				st, err := provenance.Statement(provenance.Build{Name: repository, Digest: desc.Digest,
					Source: provenance.Source{Repository: "https://git.example.com/platform/config", Revision: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/heads/main"}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := signature.Attest(ctx, repo, k.signer, desc, provenance.PredicateType, st, signature.WithFormat(format)); err != nil {
					t.Fatal(err)
				}
				ref := repository + "@" + desc.Digest.String()
				args := append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, cosignFlags...), ref)
				out, err := c.run(t, "", args...)
				if err != nil {
					t.Fatalf("cosign verify-attestation: %v\n%s", err, out)
				}
				t.Logf("PASS cosign verify-attestation accepted gitless %s provenance", format)
				other := sigtest.NewKeyPair(t, t.TempDir(), "other")
				wrong := append(append([]string{"verify-attestation", "--type", "slsaprovenance1", "--key", other.Pub}, cosignFlags[2:]...), ref)
				if out, err := c.run(t, "", wrong...); err == nil {
					t.Fatalf("cosign verify-attestation accepted another key:\n%s", out)
				}

				// copy carries the attestation (referrer or .att tag); it verifies at the destination
				dst := testregistry.New(t, kind)
				dstRef := registry.Reference{Registry: dst.Host, Repository: "zone/app"}
				dstRepo := sigtest.OpenRepo(t, dstRef.Name())
				srcRef, _ := registry.ParseReference(repository + ":1.0")
				if _, err := artifact.Copy(ctx, repo, srcRef, dstRepo, dstRef, []string{"1.0"}, artifact.CopyOptions{}); err != nil {
					t.Fatal(err)
				}
				if _, err := provenance.Verify(ctx, keyVerifier(t, k.pub), sigtest.OpenRepo(t, dstRef.Name()), desc, allowed); err != nil {
					t.Fatalf("copied provenance: %v", err)
				}
			})
			t.Run("cosign-attest/gitless-policy/"+name, func(t *testing.T) {
				reg := testregistry.New(t, kind)
				repo, repository := sigtest.NewRepo(t, reg, "platform/app")
				desc := sigtest.PushArtifact(t, repo, "1.0", name)
				args := flags("attest --type slsaprovenance1 --predicate", predicate, "--key", k.priv, "--tlog-upload=false -y", registryFlags)
				if format == signature.FormatBundle {
					args = append(args, "--new-bundle-format")
				}
				if out, err := c.run(t, k.password, append(args, repository+"@"+desc.Digest.String())...); err != nil {
					t.Fatalf("cosign attest: %v\n%s", err, out)
				}
				v := keyVerifier(t, k.pub)
				got, err := provenance.Verify(ctx, v, sigtest.OpenRepo(t, repository), desc, allowed)
				if err != nil {
					t.Fatalf("cosign's attestation refused: %v", err)
				}
				if got.Source.Repository != "https://git.example.com/platform/config" || got.Source.Ref != "refs/heads/main" || got.BuilderID != "https://ci.example.com/runners/1" {
					t.Fatalf("read %+v", got.Provenance)
				}
				_, err = provenance.Verify(ctx, v, sigtest.OpenRepo(t, repository), desc, &config.Provenance{Refs: []string{"refs/tags/*"}})
				var mm *provenance.MismatchError
				if !errors.As(err, &mm) || mm.Field != "refs" || !strings.Contains(err.Error(), "refs/heads/main") {
					t.Fatalf("ref not allowed: %v", err)
				}
				t.Logf("PASS gitless policy accepted cosign %s attestation (source %s, ref %s)", format, got.Source.Repository, got.Source.Ref)
			})
		}
	}
}

func keyVerifier(t *testing.T, pub string) *signature.Verifier {
	t.Helper()
	v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{pub}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Interop between pkg/signature and the real cosign CLI (v2.6.5, installed into ./bin by
// scripts/install-tools.sh): what gitless signs, `cosign verify` accepts, and what `cosign sign`
// writes, gitless verifies, in both storage formats, on a registry with the referrers API and on
// one without.
package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// emptyTrustedRoot is the authority-less trusted root `cosign verify --new-bundle-format` needs
// offline.
const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

// cosignBin finds cosign in $GITLESS_BIN_DIR or the repository's bin; missing, the test is
// skipped unless GITLESS_PEERS=required.
func cosignBin(t *testing.T) string {
	t.Helper()
	return cosignBinNamed(t, "cosign")
}

// cosignBinNamed finds the cosign CLI installed as name (cosign for v2, cosign3 for v3).
func cosignBinNamed(t *testing.T, name string) string {
	t.Helper()
	dirs := []string{os.Getenv("GITLESS_BIN_DIR")}
	_, file, _, _ := runtime.Caller(0)
	dirs = append(dirs, filepath.Join(filepath.Dir(file), "..", "..", "bin"))
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	if os.Getenv("GITLESS_PEERS") == "required" {
		t.Fatal(name + " not found in $GITLESS_BIN_DIR or ./bin; run scripts/install-tools.sh " + name)
	}
	t.Skip(name + " not found; run scripts/install-tools.sh " + name + " (GITLESS_PEERS=required makes this fatal)")
	return ""
}

type cosignCLI struct {
	bin, home string
}

// run executes cosign offline: a private HOME and TUF_ROOT, no Sigstore endpoints reachable.
func (c *cosignCLI) run(t *testing.T, password string, args ...string) (string, error) {
	t.Helper()
	return c.runEnv(t, password, nil, args...)
}

func (c *cosignCLI) runEnv(t *testing.T, password string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.home
	cmd.Env = append(os.Environ(), "HOME="+c.home, "TUF_ROOT="+filepath.Join(c.home, "tuf"), "COSIGN_PASSWORD="+password)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

const registryFlags = "--allow-insecure-registry --allow-http-registry"

func flags(s ...string) []string {
	var out []string
	for _, f := range s {
		out = append(out, strings.Fields(f)...)
	}
	return out
}

type keys struct {
	source, priv, pub, password string
	signer                      *signature.Signer
}

// libraryKeys generates a key pair with pkg/signature; cosignKeys with `cosign generate-key-pair`.
func libraryKeys(t *testing.T, dir string) *keys {
	t.Helper()
	kp := sigtest.NewKeyPair(t, dir, "lib")
	return &keys{source: "library", priv: kp.Priv, pub: kp.Pub, password: string(kp.Pass), signer: kp.Signer}
}

func cosignKeys(t *testing.T, c *cosignCLI, dir string) *keys {
	t.Helper()
	k := &keys{source: "cosign", priv: filepath.Join(dir, "cosign.key"), pub: filepath.Join(dir, "cosign.pub"), password: "cosign-pass"}
	if out, err := c.run(t, k.password, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	var err error
	if k.signer, err = signature.LoadSigner(k.priv, []byte(k.password)); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSignatureInterop runs the matrix signer × verifier × format × registry kind × key source.
func TestSignatureInterop(t *testing.T) {
	c := &cosignCLI{bin: cosignBin(t), home: t.TempDir()}
	ctx := context.Background()
	emptyRoot := filepath.Join(c.home, "empty-trusted-root.json")
	if err := os.WriteFile(emptyRoot, []byte(emptyTrustedRoot), 0o644); err != nil {
		t.Fatal(err)
	}
	keySets := []*keys{libraryKeys(t, t.TempDir()), cosignKeys(t, c, t.TempDir())}
	for _, kind := range testregistry.Kinds {
		for _, format := range []signature.Format{signature.FormatLegacy, signature.FormatBundle} {
			for _, k := range keySets {
				name := fmt.Sprintf("%s/%s/%s-key", kind, format, k.source)
				t.Run("gitless-sign/cosign-verify/"+name, func(t *testing.T) {
					reg := testregistry.New(t, kind)
					repo, repository := sigtest.NewRepo(t, reg, "apps/web")
					desc := sigtest.PushArtifact(t, repo, "1.4.0", name)
					if _, err := signature.Sign(ctx, repo, k.signer, repository, desc, signature.WithFormat(format), signature.WithTag("1.4.0")); err != nil {
						t.Fatal(err)
					}
					args := flags("verify --key", k.pub, "--insecure-ignore-tlog=true", registryFlags)
					if format == signature.FormatBundle {
						args = append(args, flags("--new-bundle-format --trusted-root", emptyRoot)...)
					} else {
						// cosign checks the signed tag binding like any annotation.
						args = append(args, "-a", signature.TagAnnotation+"=1.4.0")
					}
					ref := repository + "@" + desc.Digest.String()
					out, err := c.run(t, "", append(args, ref)...)
					if err != nil {
						t.Fatalf("cosign verify: %v\n%s", err, out)
					}
					if format == signature.FormatLegacy { // cosign sees the binding: another tag fails
						wrong := append(slices.Clone(args[:len(args)-2]), "-a", signature.TagAnnotation+"=2.0", ref)
						if out, err := c.run(t, "", wrong...); err == nil {
							t.Fatalf("cosign verify -a %s=2.0 accepted a signature binding 1.4.0:\n%s", signature.TagAnnotation, out)
						}
					}
					t.Logf("PASS cosign verify accepted gitless %s signature", format)
				})
				t.Run("cosign-sign/gitless-verify/"+name, func(t *testing.T) {
					reg := testregistry.New(t, kind)
					repo, repository := sigtest.NewRepo(t, reg, "apps/web")
					desc := sigtest.PushArtifact(t, repo, "1.4.0", name)
					args := flags("sign --key", k.priv, "--tlog-upload=false -y", registryFlags)
					if format == signature.FormatBundle {
						args = append(args, "--new-bundle-format")
					} else {
						args = append(args, "-a", signature.TagAnnotation+"=1.4.0")
					}
					if out, err := c.run(t, k.password, append(args, repository+"@"+desc.Digest.String())...); err != nil {
						t.Fatalf("cosign sign: %v\n%s", err, out)
					}
					policy := &config.Policy{Match: "**", Keys: []string{k.pub}}
					v, err := signature.NewVerifier(policy)
					if err != nil {
						t.Fatal(err)
					}
					res, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, desc.Digest.String())
					if err != nil || len(res.Signatures) != 1 || res.Signatures[0].Format != format {
						t.Fatalf("Verify(digest) = %+v, %v", res, err)
					}
					// By tag: cosign's legacy -a annotation is a binding; its bundles carry none.
					res, err = v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.4.0")
					if format == signature.FormatLegacy {
						if err != nil || !res.TagBound {
							t.Fatalf("Verify(tag) = %+v, %v", res, err)
						}
					} else {
						// refused by default (no signature binds any tag), accepted unbound under allowUnboundTags
						if !errors.Is(err, signature.ErrTagNotBound) {
							t.Fatalf("Verify(tag) of an unbound cosign bundle = %+v, %v; want ErrTagNotBound", res, err)
						}
						lenient, _ := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{k.pub}, AllowUnboundTags: true})
						if res, err = lenient.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.4.0"); err != nil || res.TagBound {
							t.Fatalf("Verify(tag, allowUnboundTags) = %+v, %v; want accepted, unbound", res, err)
						}
					}
					t.Logf("PASS gitless verified cosign %s signature", format)
				})
			}
		}
	}
}

// TestSignatureInteropCosignOCI11 covers `cosign sign --registry-referrers-mode=oci-1-1` (cosign's
// experimental legacy signature stored as an OCI 1.1 referrer instead of the .sig tag).
func TestSignatureInteropCosignOCI11(t *testing.T) {
	c := &cosignCLI{bin: cosignBin(t), home: t.TempDir()}
	ctx := context.Background()
	k := libraryKeys(t, t.TempDir())
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			reg := testregistry.New(t, kind)
			repo, repository := sigtest.NewRepo(t, reg, "apps/web")
			desc := sigtest.PushArtifact(t, repo, "1.4.0", "oci11")
			args := flags("sign --key", k.priv, "--tlog-upload=false -y --registry-referrers-mode=oci-1-1", registryFlags)
			args = append(args, "-a", signature.TagAnnotation+"=1.4.0", repository+"@"+desc.Digest.String())
			if out, err := c.runEnv(t, k.password, []string{"COSIGN_EXPERIMENTAL=1"}, args...); err != nil {
				t.Fatalf("cosign sign: %v\n%s", err, out)
			}
			if _, err := sigtest.OpenRepo(t, repository).Resolve(ctx, signature.LegacyTag(desc.Digest)); err == nil {
				t.Fatal("cosign wrote the .sig tag; this case is about the referrer form")
			}
			v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{k.pub}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.4.0")
			if err != nil || !res.TagBound || res.Signatures[0].Format != signature.FormatLegacy {
				t.Fatalf("Verify = %+v, %v", res, err)
			}
			t.Logf("PASS gitless verified cosign oci-1-1 legacy signature: %+v", res.Signatures[0])
		})
	}
}

package signature_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/dir"
	notationregistry "github.com/notaryproject/notation-go/registry"
	notationsigner "github.com/notaryproject/notation-go/signer"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

var envelopes = map[string]string{"jws": signature.NotationJWSMediaType, "cose": signature.NotationCOSEMediaType}

// notationEnv is a registry, a CA and a leaf it issued, and an artifact tagged 1.4.0.
type notationEnv struct {
	repo       *remote.Repository
	repository string
	subject    ocispec.Descriptor
	ca         *sigtest.CA
	leaf       *sigtest.NotationLeaf
	dir        string
}

func newNotationEnv(t *testing.T, kind testregistry.Kind) *notationEnv {
	t.Helper()
	reg := testregistry.New(t, kind)
	e := &notationEnv{dir: t.TempDir(), ca: sigtest.NewCA(t, "notation test root")}
	e.repo, e.repository = sigtest.NewRepo(t, reg, "platform/app")
	e.subject = sigtest.PushArtifact(t, e.repo, "1.4.0", "v1.4.0")
	e.leaf = e.ca.IssueNotation(t, e.dir, "wabbit", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	return e
}

func notationPolicy(roots []string, identities ...string) *config.Policy {
	return &config.Policy{Match: "**", Notation: &config.Notation{Certificates: roots, TrustedIdentities: identities}}
}

func notationVerifier(t testing.TB, p *config.Policy, opts ...signature.VerifierOption) *signature.Verifier {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	v, err := signature.NewVerifier(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *notationEnv) sign(t *testing.T, leaf *sigtest.NotationLeaf, envelope, tag string) ocispec.Descriptor {
	t.Helper()
	s, err := signature.LoadNotationSigner(leaf.KeyPath, leaf.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	opts := []signature.SignOption{signature.WithFormat(signature.FormatNotation), signature.WithEnvelope(envelope)}
	if tag != "" {
		opts = append(opts, signature.WithTag(tag))
	}
	d, err := signature.Sign(context.Background(), e.repo, s, e.repository, e.subject, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// notationGoVerify verifies with notation-go alone, as `notation verify` does: its own registry
// client, trust policy document and file-system trust store.
func notationGoVerify(t *testing.T, e *notationEnv, reference string) (*notation.VerificationOutcome, error) {
	t.Helper()
	cfg := t.TempDir()
	storeDir := dir.X509TrustStoreDir(string(truststore.TypeCA), "gitless-test")
	if err := copyFile(e.leaf.RootPath, cfg+"/"+storeDir+"/root.crt"); err != nil {
		t.Fatal(err)
	}
	doc := &trustpolicy.Document{Version: "1.0", TrustPolicies: []trustpolicy.TrustPolicy{{
		Name: "test", RegistryScopes: []string{e.repository},
		SignatureVerification: trustpolicy.SignatureVerification{VerificationLevel: "strict"},
		TrustStores:           []string{"ca:gitless-test"}, TrustedIdentities: []string{e.leaf.Subject},
	}}}
	v, err := verifier.New(doc, truststore.NewX509TrustStore(dir.NewSysFS(cfg)), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, outcomes, err := notation.Verify(context.Background(), v, notationregistry.NewRepository(sigtest.OpenRepo(t, e.repository)),
		notation.VerifyOptions{ArtifactReference: e.repository + "@" + e.subject.Digest.String(), MaxSignatureAttempts: math.MaxInt32})
	if len(outcomes) == 0 {
		return nil, err
	}
	return outcomes[0], err
}

// TestNotationRoundTrip: what gitless signs, notation-go verifies; what notation-go signs, gitless
// verifies; on a registry with the referrers API and on one without (the referrers tag schema).
func TestNotationRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, kind := range testregistry.Kinds {
		for name, envelope := range envelopes {
			t.Run(string(kind)+"/"+name+"/gitless-signs", func(t *testing.T) {
				e := newNotationEnv(t, kind)
				sig := e.sign(t, e.leaf, envelope, "1.4.0")
				outcome, err := notationGoVerify(t, e, e.subject.Digest.String())
				if err != nil {
					t.Fatalf("notation-go Verify = %v", err)
				}
				md, _ := outcome.UserMetadata()
				if md[signature.TagAnnotation] != "1.4.0" || md[signature.RepositoryAnnotation] != e.repository {
					t.Fatalf("user metadata = %v", md)
				}
				v := notationVerifier(t, notationPolicy([]string{e.leaf.RootPath}, e.leaf.Subject))
				res, err := v.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, "1.4.0")
				if err != nil {
					t.Fatalf("Verify = %v (exit %d)", err, signature.ExitCode(err))
				}
				s := res.Signatures[0]
				if !res.TagBound || s.Format != signature.FormatNotation || s.Manifest != sig.Digest ||
					s.CertSubject != "CN=wabbit,O=wabbit,ST=WA,C=US" || s.BoundTag != "1.4.0" {
					t.Fatalf("result = %+v", res)
				}
			})
			t.Run(string(kind)+"/"+name+"/notation-go-signs", func(t *testing.T) {
				e := newNotationEnv(t, kind)
				ns, err := notationsigner.NewGenericSignerFromFiles(e.leaf.KeyPath, e.leaf.CertPath)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := notation.Sign(ctx, ns, notationregistry.NewRepository(e.repo), notation.SignOptions{
					SignerSignOptions: notation.SignerSignOptions{SignatureMediaType: envelope},
					ArtifactReference: "1.4.0",
				}); err != nil {
					t.Fatal(err)
				}
				v := notationVerifier(t, notationPolicy([]string{e.leaf.RootPath}, "*"))
				res, err := v.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, e.subject.Digest.String())
				if err != nil || res.Signatures[0].Format != signature.FormatNotation {
					t.Fatalf("Verify(digest) = %+v, %v", res, err)
				}
				// Notation signs a digest, not a tag: the tag is refused as a plain cosign signature's is,
				// and accepted with a warning under allowUnboundTags.
				_, err = v.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, "1.4.0")
				if !errors.Is(err, signature.ErrTagNotBound) || signature.ExitCode(err) != signature.ExitNoValid {
					t.Fatalf("Verify(tag) = %v, want ErrTagNotBound", err)
				}
				p := notationPolicy([]string{e.leaf.RootPath}, "*")
				p.AllowUnboundTags = true
				res, err = notationVerifier(t, p).Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, "1.4.0")
				if err != nil || res.TagBound {
					t.Fatalf("Verify(tag, allowUnboundTags) = %+v, %v", res, err)
				}
			})
		}
	}
}

// TestNotationManifestShape checks the signature manifest gitless writes field by field against
// the Notary Project signature specification.
// Reference: https://github.com/notaryproject/specifications/blob/v1.1.0/specs/signature-specification.md#storage
func TestNotationManifestShape(t *testing.T) {
	e := newNotationEnv(t, testregistry.Referrers)
	sig := e.sign(t, e.leaf, signature.NotationCOSEMediaType, "1.4.0")
	b := fetch(t, e.repo, sig)
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var thumbprints []string
	checks := []struct {
		field string
		ok    bool
	}{
		{"mediaType is the OCI image manifest", sig.MediaType == ocispec.MediaTypeImageManifest && m.MediaType == ocispec.MediaTypeImageManifest},
		{"schemaVersion 2", m.SchemaVersion == 2},
		{"artifactType absent (the config carries the type)", m.ArtifactType == ""},
		{"config mediaType application/vnd.cncf.notary.signature", m.Config.MediaType == signature.NotationArtifactType},
		{"config is the empty JSON object", m.Config.Size == 2 && m.Config.Digest == ocispec.DescriptorEmptyJSON.Digest},
		{"one layer, the envelope", len(m.Layers) == 1 && m.Layers[0].MediaType == signature.NotationCOSEMediaType},
		{"subject is the signed manifest", m.Subject != nil && m.Subject.Digest == e.subject.Digest && m.Subject.Size == e.subject.Size && m.Subject.MediaType == e.subject.MediaType},
		{"thumbprint annotation lists the chain", json.Unmarshal([]byte(m.Annotations[signature.NotationThumbprintAnnotation]), &thumbprints) == nil && len(thumbprints) == 2},
		{"created annotation is RFC 3339", func() bool {
			_, err := time.Parse(time.RFC3339, m.Annotations[ocispec.AnnotationCreated])
			return err == nil
		}()},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: manifest %s", c.field, b)
		}
	}
}

// TestNotationRequireAllKinds: by default one valid signature of an accepted kind is enough; with
// requireAllKinds every kind the policy names must have one.
func TestNotationRequireAllKinds(t *testing.T) {
	ctx := context.Background()
	e := newNotationEnv(t, testregistry.Referrers)
	kp := sigtest.NewKeyPair(t, e.dir, "k")
	policy := func(all bool) *config.Policy {
		p := notationPolicy([]string{e.leaf.RootPath}, e.leaf.Subject)
		p.Keys, p.RequireAllKinds = []string{kp.Pub}, all
		return p
	}
	e.sign(t, e.leaf, signature.NotationJWSMediaType, "1.4.0")
	if _, err := notationVerifier(t, policy(false)).Verify(ctx, e.repo, e.repository, "1.4.0"); err != nil {
		t.Fatalf("any kind, notation only: %v", err)
	}
	_, err := notationVerifier(t, policy(true)).Verify(ctx, e.repo, e.repository, "1.4.0")
	if signature.ExitCode(err) != signature.ExitNoValid || !strings.Contains(err.Error(), "no valid cosign signature") {
		t.Fatalf("all kinds, notation only: %v", err)
	}
	if _, err := signature.Sign(ctx, e.repo, kp.Signer, e.repository, e.subject, signature.WithTag("1.4.0")); err != nil {
		t.Fatal(err)
	}
	res, err := notationVerifier(t, policy(true)).Verify(ctx, e.repo, e.repository, "1.4.0")
	if err != nil || len(res.Signatures) != 2 {
		t.Fatalf("all kinds, both signed: %+v, %v", res, err)
	}
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

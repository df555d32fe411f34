package provenance_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/signature"
)

const (
	repoURL = "https://git.example.com/platform/config"
	commit  = "0123456789abcdef0123456789abcdef01234567"
)

func build(name string, desc ocispec.Descriptor) provenance.Build {
	return provenance.Build{Name: name, Digest: desc.Digest,
		Source:     provenance.Source{Repository: repoURL + ".git", Revision: commit, Ref: "refs/heads/main"},
		BuilderID:  "https://ci.example.com/pipelines/config",
		Parameters: map[string]any{"kind": "kustomize", "tags": []string{"1.0"}}}
}

func TestStatementRoundTrip(t *testing.T) {
	desc := ocispec.Descriptor{Digest: digest.Digest("sha256:" + strings.Repeat("a", 64))}
	st, err := provenance.Statement(build("hub.example.com/platform/app", desc))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"_type":"https://in-toto.io/Statement/v1"`, `"predicateType":"https://slsa.dev/provenance/v1"`,
		`"uri":"git+https://git.example.com/platform/config.git@refs/heads/main"`, `"gitCommit":"` + commit + `"`,
		`"id":"https://ci.example.com/pipelines/config"`, `"buildType":"` + provenance.BuildType + `"`} {
		if !strings.Contains(string(st), want) {
			t.Errorf("statement lacks %s:\n%s", want, st)
		}
	}
	p, err := provenance.Parse(st)
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.Repository != repoURL+".git" || p.Source.Ref != "refs/heads/main" || p.Source.Revision != commit || p.Subjects[0] != desc.Digest {
		t.Fatalf("parsed %+v", p)
	}
	dirty := build("x/y", desc)
	dirty.Source.Revision, dirty.Source.Dirty = commit+"-dirty", true
	st, _ = provenance.Statement(dirty)
	if strings.Contains(string(st), `"gitCommit"`) {
		t.Fatalf("a dirty build claims a clean commit:\n%s", st)
	}
	if p, _ := provenance.Parse(st); !p.Source.Dirty || p.Source.Revision != commit+"-dirty" {
		t.Fatalf("dirty parsed as %+v", p.Source)
	}
}

func TestCheckNamesTheField(t *testing.T) {
	desc := ocispec.Descriptor{Digest: digest.Digest("sha256:" + strings.Repeat("b", 64))}
	st, _ := provenance.Statement(build("x/y", desc))
	p, err := provenance.Parse(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		req   config.Provenance
		field string
	}{
		{"all match", config.Provenance{SourceRepositories: []string{"https://git.example.com/platform/*"}, Refs: []string{"refs/heads/main"}, BuilderIDs: []string{"https://ci.example.com/**"}}, ""},
		{".git on either side", config.Provenance{SourceRepositories: []string{repoURL + ".git"}}, ""},
		{"source", config.Provenance{SourceRepositories: []string{"https://git.example.com/other/*"}}, "sourceRepositories"},
		{"ref", config.Provenance{Refs: []string{"refs/tags/v*"}}, "refs"},
		{"builder", config.Provenance{BuilderIDs: []string{"https://ci.other.com/*"}}, "builderIds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Check(desc.Digest, &tc.req)
			var mm *provenance.MismatchError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && (!errors.As(err, &mm) || mm.Field != tc.field):
				t.Fatalf("err = %v, want a mismatch of %s", err, tc.field)
			case tc.field != "" && signature.ExitCode(err) != signature.ExitNoValid:
				t.Fatalf("exit code %d, want %d", signature.ExitCode(err), signature.ExitNoValid)
			}
		})
	}
	if err := p.Check(digest.Digest("sha256:"+strings.Repeat("c", 64)), &config.Provenance{}); err == nil {
		t.Fatal("another digest accepted")
	}
}

// TestVerify attests with the library in both forms on both registry kinds and checks every refusal
// the policy makes.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key, other := sigtest.NewKeyPair(t, dir, "key"), sigtest.NewKeyPair(t, dir, "other")
	allowed := &config.Provenance{SourceRepositories: []string{repoURL}, Refs: []string{"refs/heads/main"}}
	for _, kind := range testregistry.Kinds {
		for _, format := range []signature.Format{signature.FormatBundle, signature.FormatLegacy} {
			t.Run(string(kind)+"/"+string(format), func(t *testing.T) {
				reg := testregistry.New(t, kind)
				repo, name := sigtest.NewRepo(t, reg, "platform/app")
				v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{key.Pub}})
				if err != nil {
					t.Fatal(err)
				}
				attest := func(subject, about ocispec.Descriptor, kp *sigtest.KeyPair, b provenance.Build) {
					t.Helper()
					b.Digest = about.Digest
					st, err := provenance.Statement(b)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := signature.Attest(ctx, repo, kp.Signer, subject, provenance.PredicateType, st, signature.WithFormat(format)); err != nil {
						t.Fatal(err)
					}
				}
				verify := func(desc ocispec.Descriptor, req *config.Provenance) (*provenance.Verified, error) {
					return provenance.Verify(ctx, v, sigtest.OpenRepo(t, name), desc, req)
				}

				none := sigtest.PushArtifact(t, repo, "none", "no attestation")
				if _, err := verify(none, allowed); !errors.Is(err, provenance.ErrNoProvenance) {
					t.Fatalf("no attestation: %v, want ErrNoProvenance", err)
				}

				good := sigtest.PushArtifact(t, repo, "good", "attested")
				attest(good, good, key, build(name, good))
				got, err := verify(good, allowed)
				if err != nil {
					t.Fatalf("accepted attestation refused: %v", err)
				}
				if got.Source.Revision != commit || got.Attestation.Format != format || got.Attestation.KeySource == "" {
					t.Fatalf("verified %+v", got)
				}
				if _, err := verify(good, &config.Provenance{SourceRepositories: []string{"https://git.example.com/other"}}); !errors.Is(err, provenance.ErrProvenanceRefused) ||
					!strings.Contains(err.Error(), "source repository") {
					t.Fatalf("source not allowed: %v", err)
				}
				if _, err := verify(good, &config.Provenance{Refs: []string{"refs/tags/*"}}); !errors.Is(err, provenance.ErrProvenanceRefused) ||
					!strings.Contains(err.Error(), "refs: refs/tags/*") {
					t.Fatalf("ref not allowed: %v", err)
				}

				foreign := sigtest.PushArtifact(t, repo, "foreign", "signed by another key")
				attest(foreign, foreign, other, build(name, foreign))
				if _, err := verify(foreign, allowed); !errors.Is(err, provenance.ErrProvenanceRefused) || signature.ExitCode(err) != signature.ExitNoValid {
					t.Fatalf("another key: %v, want ErrProvenanceRefused", err)
				}

				moved := sigtest.PushArtifact(t, repo, "moved", "attestation of another digest")
				attest(moved, good, key, build(name, good)) // stored for moved, about good
				if _, err := verify(moved, allowed); !errors.Is(err, provenance.ErrProvenanceRefused) {
					t.Fatalf("attestation for another digest: %v, want ErrProvenanceRefused", err)
				}

				found, err := provenance.Read(ctx, sigtest.OpenRepo(t, name), good)
				if err != nil || len(found) != 1 || found[0].Source.Ref != "refs/heads/main" {
					t.Fatalf("Read = %+v, %v", found, err)
				}
			})
		}
	}
}

package signature_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// pushNotation stores envelope as a Notation signature of subject, shaped as notation-go writes it.
func pushNotation(t *testing.T, target oras.Target, subject ocispec.Descriptor, mediaType string, envelope []byte) {
	t.Helper()
	ctx := context.Background()
	layer := content.NewDescriptorFromBytes(mediaType, envelope)
	cfg := ocispec.Descriptor{MediaType: signature.NotationArtifactType, Digest: ocispec.DescriptorEmptyJSON.Digest, Size: 2}
	for _, b := range []struct {
		d ocispec.Descriptor
		b []byte
	}{{layer, envelope}, {cfg, []byte("{}")}} {
		if err := target.Push(ctx, b.d, bytes.NewReader(b.b)); err != nil && !strings.Contains(err.Error(), "exists") {
			t.Fatal(err)
		}
	}
	if _, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{
		Subject: &subject, Layers: []ocispec.Descriptor{layer}, ConfigDescriptor: &cfg,
	}); err != nil {
		t.Fatal(err)
	}
}

// envelopeOf returns the envelope layer of the Notation signature manifest sig.
func envelopeOf(t *testing.T, e *notationEnv, sig ocispec.Descriptor) []byte {
	t.Helper()
	var m ocispec.Manifest
	if err := json.Unmarshal(fetch(t, e.repo, sig), &m); err != nil {
		t.Fatal(err)
	}
	return fetch(t, e.repo, m.Layers[0])
}

// TestNotationTampering: each way a Notation signature can be wrong is refused with exit code 12
// and a message that names the failed check.
func TestNotationTampering(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		// setup signs or plants the signature and returns the policy's trusted identity
		setup func(t *testing.T, e *notationEnv) (roots []string, identity string)
		want  string
	}{
		{"certificate of another CA", func(t *testing.T, e *notationEnv) ([]string, string) {
			other := sigtest.NewCA(t, "another root").IssueNotation(t, e.dir, "wabbit-other", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			e.sign(t, other, signature.NotationJWSMediaType, "1.4.0")
			return []string{e.leaf.RootPath}, "*"
		}, "authenticity check failed: the signature's certificate chain does not contain any trusted certificate"},
		{"identity not trusted", func(t *testing.T, e *notationEnv) ([]string, string) {
			e.sign(t, e.leaf, signature.NotationJWSMediaType, "1.4.0")
			return []string{e.leaf.RootPath}, "x509.subject: C=US, ST=WA, O=acme, CN=acme"
		}, "authenticity check failed: signing certificate from the digital signature does not match the X.509 trusted identities"},
		{"expired certificate", func(t *testing.T, e *notationEnv) ([]string, string) {
			short := e.ca.IssueNotation(t, e.dir, "shortlived", time.Now().Add(-time.Hour), time.Now().Add(2*time.Second))
			e.sign(t, short, signature.NotationCOSEMediaType, "1.4.0")
			time.Sleep(time.Until(time.Now().Add(3 * time.Second)))
			return []string{e.leaf.RootPath}, "*"
		}, `check failed: verification time is after certificate "CN=shortlived,O=shortlived,ST=WA,C=US" validity period, it was expired at`},
		{"signature of another digest copied over", func(t *testing.T, e *notationEnv) ([]string, string) {
			other := sigtest.PushArtifact(t, e.repo, "", "another artifact")
			keep := e.subject
			e.subject = other
			sig := e.sign(t, e.leaf, signature.NotationJWSMediaType, "")
			e.subject = keep
			pushNotation(t, e.repo, e.subject, signature.NotationJWSMediaType, envelopeOf(t, e, sig))
			return []string{e.leaf.RootPath}, "*"
		}, "content descriptor mismatch"},
		{"payload edited", func(t *testing.T, e *notationEnv) ([]string, string) {
			// signed elsewhere (the same content has the same digest), so only the edited copy is here
			elsewhere := newNotationEnv(t, testregistry.Referrers)
			sig := elsewhere.sign(t, e.leaf, signature.NotationJWSMediaType, "1.4.0")
			var env map[string]any
			if err := json.Unmarshal(envelopeOf(t, elsewhere, sig), &env); err != nil {
				t.Fatal(err)
			}
			payload, _ := base64.RawURLEncoding.DecodeString(env["payload"].(string))
			payload = bytes.Replace(payload, []byte(`"1.4.0"`), []byte(`"2.0.0"`), 1)
			env["payload"] = base64.RawURLEncoding.EncodeToString(payload)
			edited, _ := json.Marshal(env)
			pushNotation(t, e.repo, e.subject, signature.NotationJWSMediaType, edited)
			return []string{e.leaf.RootPath}, "*"
		}, "integrity check failed: signature is invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newNotationEnv(t, testregistry.Referrers)
			roots, id := c.setup(t, e)
			_, err := notationVerifier(t, notationPolicy(roots, id)).Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, e.subject.Digest.String())
			if signature.ExitCode(err) != signature.ExitNoValid || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Verify = %v (exit %d), want exit 12 naming %q", err, signature.ExitCode(err), c.want)
			}
			t.Logf("refused: %v", err)
		})
	}
}

package signature_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	intotov1 "github.com/in-toto/attestation/go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/protobuf/encoding/protojson"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// tamperEnv is one repository with two signed artifacts: A (tag 1.0) and B (tag 2.0), each
// signed in both formats by key kp with its tag bound.
type tamperEnv struct {
	reg        *testregistry.Registry
	repo       *remote.Repository
	repository string
	kp         *sigtest.KeyPair
	a, b       ocispec.Descriptor
}

func newTamperEnv(t *testing.T, kind testregistry.Kind, kp *sigtest.KeyPair) *tamperEnv {
	t.Helper()
	e := &tamperEnv{reg: testregistry.New(t, kind), kp: kp}
	e.repo, e.repository = sigtest.NewRepo(t, e.reg, "apps/web")
	e.a = sigtest.PushArtifact(t, e.repo, "1.0", "version one")
	e.b = sigtest.PushArtifact(t, e.repo, "2.0", "version two")
	return e
}

func (e *tamperEnv) sign(t *testing.T, d ocispec.Descriptor, tag string, f signature.Format) {
	t.Helper()
	if _, err := signature.Sign(context.Background(), e.repo, e.kp.Signer, e.repository, d, signature.WithFormat(f), signature.WithTag(tag)); err != nil {
		t.Fatal(err)
	}
}

// tag points tag at d, wherever it pointed before.
func (e *tamperEnv) tag(t *testing.T, d ocispec.Descriptor, tag string) {
	t.Helper()
	if err := e.repo.Tag(context.Background(), d, tag); err != nil {
		t.Fatal(err)
	}
}

func (e *tamperEnv) bundleOf(t *testing.T, d ocispec.Descriptor) []byte {
	t.Helper()
	ctx := context.Background()
	refs, err := registry.Referrers(ctx, e.repo, d, signature.BundleMediaType)
	if err != nil || len(refs) == 0 {
		t.Fatalf("referrers of %s: %v, %v", d.Digest, refs, err)
	}
	var m ocispec.Manifest
	unmarshal(t, fetch(t, e.repo, refs[0]), &m)
	return fetch(t, e.repo, m.Layers[0])
}

func (e *tamperEnv) putBundle(t *testing.T, subject ocispec.Descriptor, b []byte) {
	t.Helper()
	ctx := context.Background()
	layer := content.NewDescriptorFromBytes(signature.BundleMediaType, b)
	if err := e.repo.Push(ctx, layer, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	_, err := oras.PackManifest(ctx, e.repo, oras.PackManifestVersion1_1, signature.BundleMediaType, oras.PackManifestOptions{
		Subject: &subject, Layers: []ocispec.Descriptor{layer},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// onlyBundle moves e to a new registry where A's only signature is bundle b.
func (e *tamperEnv) onlyBundle(t *testing.T, b []byte) {
	t.Helper()
	f := newTamperEnv(t, e.reg.Kind, e.kp)
	f.putBundle(t, f.a, b)
	*e = *f
}

func (e *tamperEnv) legacyOf(t *testing.T, d ocispec.Descriptor) (payload []byte, sig string) {
	t.Helper()
	desc, err := e.repo.Resolve(context.Background(), signature.LegacyTag(d.Digest))
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	unmarshal(t, fetch(t, e.repo, desc), &m)
	return fetch(t, e.repo, m.Layers[0]), m.Layers[0].Annotations[signature.SignatureAnnotation]
}

// putLegacy replaces the .sig tag of subject with one layer holding payload and sig.
func (e *tamperEnv) putLegacy(t *testing.T, subject ocispec.Descriptor, payload []byte, sig string) {
	t.Helper()
	ctx := context.Background()
	layer := content.NewDescriptorFromBytes(signature.SimpleSigningMediaType, payload)
	if err := e.repo.Push(ctx, layer, bytes.NewReader(payload)); err != nil && !strings.Contains(err.Error(), "exist") {
		t.Fatal(err)
	}
	layer.Annotations = map[string]string{signature.SignatureAnnotation: sig}
	cfgBytes := []byte(`{"rootfs":{"type":"layers"}}`)
	cfg := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfgBytes)
	_ = e.repo.Push(ctx, cfg, bytes.NewReader(cfgBytes))
	m, _ := json.Marshal(ocispec.Manifest{Versioned: manifestVersion, MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: []ocispec.Descriptor{layer}})
	if _, err := oras.TagBytes(ctx, e.repo, ocispec.MediaTypeImageManifest, m, signature.LegacyTag(subject.Digest)); err != nil {
		t.Fatal(err)
	}
}

// signedStatementBundle makes a cosign-shaped bundle over statement, signed by kp.
func signedStatementBundle(t *testing.T, kp *sigtest.KeyPair, statement []byte) []byte {
	t.Helper()
	sv, err := cosign.LoadPrivateKey(kp.PrivPEM, kp.Pass, nil)
	if err != nil {
		t.Fatal(err)
	}
	env, err := dsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(statement))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := sv.PublicKey()
	b, err := cbundle.MakeNewBundle(pub, nil, statement, env, kp.PubPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTampering(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kp, other := sigtest.NewKeyPair(t, dir, "good"), sigtest.NewKeyPair(t, dir, "other")
	v := keyVerifier(t, nil, kp.Pub)
	tests := []struct {
		name   string
		tamper func(t *testing.T, e *tamperEnv) (ref string)
		want   error
	}{
		{"unsigned artifact", func(t *testing.T, e *tamperEnv) string { return "1.0" }, signature.ErrNoSignature},
		{"missing tag", func(t *testing.T, e *tamperEnv) string { e.sign(t, e.a, "1.0", signature.FormatBundle); return "9.9" }, signature.ErrTagNotFound},
		{"signature by another key/bundle", func(t *testing.T, e *tamperEnv) string {
			e.kp = other
			e.sign(t, e.a, "1.0", signature.FormatBundle)
			return "1.0"
		}, signature.ErrNoValidSignature},
		{"signature by another key/legacy", func(t *testing.T, e *tamperEnv) string {
			e.kp = other
			e.sign(t, e.a, "1.0", signature.FormatLegacy)
			return "1.0"
		}, signature.ErrNoValidSignature},
		{"payload naming another digest/legacy", func(t *testing.T, e *tamperEnv) string {
			sv, _ := cosign.LoadPrivateKey(kp.PrivPEM, kp.Pass, nil)
			p := fmt.Sprintf(`{"critical":{"identity":{"docker-reference":%q},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":{"dev.gitless.tag":"1.0"}}`, e.repository, e.b.Digest)
			sig, _ := sv.SignMessage(strings.NewReader(p))
			e.putLegacy(t, e.a, []byte(p), base64.StdEncoding.EncodeToString(sig))
			return "1.0"
		}, signature.ErrNoValidSignature},
		{"payload naming another digest/bundle", func(t *testing.T, e *tamperEnv) string {
			st, _ := protojson.Marshal(&intotov1.Statement{
				Type: intotov1.StatementTypeUri, PredicateType: signature.CosignSignPredicateType,
				Subject: []*intotov1.ResourceDescriptor{{Digest: map[string]string{"sha256": e.b.Digest.Encoded()}}},
			})
			e.putBundle(t, e.a, signedStatementBundle(t, kp, st))
			return e.a.Digest.String()
		}, signature.ErrNoValidSignature},
		{"signature copied from another artifact/legacy", func(t *testing.T, e *tamperEnv) string {
			e.sign(t, e.b, "2.0", signature.FormatLegacy)
			desc, _ := e.repo.Resolve(ctx, signature.LegacyTag(e.b.Digest))
			if err := e.repo.Tag(ctx, desc, signature.LegacyTag(e.a.Digest)); err != nil {
				t.Fatal(err)
			}
			return e.a.Digest.String()
		}, signature.ErrNoValidSignature},
		{"signature copied from another artifact/bundle", func(t *testing.T, e *tamperEnv) string {
			e.sign(t, e.b, "2.0", signature.FormatBundle)
			e.putBundle(t, e.a, e.bundleOf(t, e.b))
			return e.a.Digest.String()
		}, signature.ErrNoValidSignature},
		{"tag moved after signing/bundle", tagMoved(signature.FormatBundle), signature.ErrTagNotBound},
		{"tag moved after signing/legacy", tagMoved(signature.FormatLegacy), signature.ErrTagNotBound},
		{"same digest copied to another repository/bundle", copiedToOtherRepo(signature.FormatBundle), signature.ErrTagNotBound},
		{"same digest copied to another repository/legacy", copiedToOtherRepo(signature.FormatLegacy), signature.ErrTagNotBound},
		{"signed annotations altered/legacy", func(t *testing.T, e *tamperEnv) string {
			e.sign(t, e.a, "1.0", signature.FormatLegacy)
			p, sig := e.legacyOf(t, e.a)
			e.putLegacy(t, e.a, bytes.Replace(p, []byte(`"1.0"`), []byte(`"2.0"`), 1), sig)
			e.tag(t, e.a, "2.0")
			return "2.0"
		}, signature.ErrNoValidSignature},
		{"signed annotations altered/bundle", func(t *testing.T, e *tamperEnv) string {
			e.sign(t, e.a, "1.0", signature.FormatBundle)
			e.onlyBundle(t, alterBundlePayload(t, e.bundleOf(t, e.a), `"1.0"`, `"2.0"`))
			e.tag(t, e.a, "2.0")
			return "2.0"
		}, signature.ErrNoValidSignature},
		{"bundle with a mismatched signature", func(t *testing.T, e *tamperEnv) string {
			e.sign(t, e.b, "2.0", signature.FormatBundle)
			stolen := bundleSig(t, e.bundleOf(t, e.b))
			e.sign(t, e.a, "1.0", signature.FormatBundle)
			var bm map[string]any
			unmarshal(t, e.bundleOf(t, e.a), &bm)
			bm["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)["sig"] = stolen
			forged, _ := json.Marshal(bm)
			e.onlyBundle(t, forged)
			return "1.0"
		}, signature.ErrNoValidSignature},
	}
	for _, kind := range testregistry.Kinds {
		for _, tt := range tests {
			t.Run(string(kind)+"/"+tt.name, func(t *testing.T) {
				e := newTamperEnv(t, kind, kp)
				ref := tt.tamper(t, e)
				res, err := v.Verify(ctx, sigtest.OpenRepo(t, e.repository), e.repository, ref)
				if !errors.Is(err, tt.want) || signature.ExitCode(err) != signature.ExitCode(tt.want) {
					t.Fatalf("Verify(%s) = %+v, %v (exit %d); want %v (exit %d)", ref, res, err, signature.ExitCode(err), tt.want, signature.ExitCode(tt.want))
				}
				t.Logf("exit %d: %v", signature.ExitCode(err), err)
			})
		}
	}
}

// TestBogusSignatureFlood plants 1,000 bogus bundle referrers and a bogus legacy manifest of
// 1,000 layers: verification fails with 12 after a bounded number of fetches.
func TestBogusSignatureFlood(t *testing.T) {
	ctx := context.Background()
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	v := keyVerifier(t, nil, kp.Pub)
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			e := newTamperEnv(t, kind, kp)
			junk := []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`)
			layer := content.NewDescriptorFromBytes(signature.BundleMediaType, junk)
			empty := ocispec.DescriptorEmptyJSON
			for _, b := range [][]byte{junk, empty.Data} {
				d := content.NewDescriptorFromBytes("application/octet-stream", b)
				if err := e.repo.Blobs().Push(ctx, d, bytes.NewReader(b)); err != nil {
					t.Fatal(err)
				}
			}
			subject := ocispec.Descriptor{MediaType: e.a.MediaType, Digest: e.a.Digest, Size: e.a.Size}
			var index ocispec.Index
			for i := range 1000 {
				m, _ := json.Marshal(ocispec.Manifest{
					Versioned: manifestVersion, MediaType: ocispec.MediaTypeImageManifest, ArtifactType: signature.BundleMediaType,
					Config: ocispec.Descriptor{MediaType: empty.MediaType, Digest: empty.Digest, Size: empty.Size},
					Layers: []ocispec.Descriptor{layer}, Subject: &subject,
					Annotations: map[string]string{"n": fmt.Sprint(i)},
				})
				d := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, m)
				putManifest(t, e.reg, "apps/web", d.Digest.String(), d.MediaType, m)
				d.ArtifactType = signature.BundleMediaType
				index.Manifests = append(index.Manifests, d)
			}
			if kind == testregistry.Distribution { // the referrers tag schema, written once
				index.Versioned, index.MediaType = manifestVersion, ocispec.MediaTypeImageIndex
				ib, _ := json.Marshal(index)
				putManifest(t, e.reg, "apps/web", strings.Replace(e.a.Digest.String(), ":", "-", 1), ocispec.MediaTypeImageIndex, ib)
			}
			repo := &countingRepo{Repository: e.repo}
			_, err := v.Verify(ctx, repo, e.repository, e.a.Digest.String())
			if !errors.Is(err, signature.ErrNoValidSignature) || signature.ExitCode(err) != 12 {
				t.Fatalf("Verify() = %v (exit %d), want exit 12", err, signature.ExitCode(err))
			}
			if n := repo.fetches.Load(); n > 2*signature.MaxCandidates+2 {
				t.Fatalf("%d fetches for 1,000 bogus signatures, want at most %d", n, 2*signature.MaxCandidates+2)
			} else {
				t.Logf("%d fetches; %v", n, err)
			}
		})
	}
}

// tagMoved signs A as 1.0 and B as 2.0 in format f, then moves tag 2.0 to A: the registry now
// serves 1.0's digest as 2.0.
func tagMoved(f signature.Format) func(*testing.T, *tamperEnv) string {
	return func(t *testing.T, e *tamperEnv) string {
		e.sign(t, e.a, "1.0", f)
		e.sign(t, e.b, "2.0", f)
		e.tag(t, e.a, "2.0")
		return "2.0"
	}
}

// copiedToOtherRepo signs A as 1.0 in format f, then copies it with its signatures to apps/other
// on the same registry (same digest, tag 1.0 there too) and points e there.
func copiedToOtherRepo(f signature.Format) func(*testing.T, *tamperEnv) string {
	return func(t *testing.T, e *tamperEnv) string {
		e.sign(t, e.a, "1.0", f)
		other, repository := sigtest.NewRepo(t, e.reg, "apps/other")
		copyArtifact(t, e.repo, other, e.a, "1.0")
		e.repo, e.repository = other, repository
		return "1.0"
	}
}

// copyArtifact copies d with its signatures (referrers and the .sig tag) from src to dst.
func copyArtifact(t *testing.T, src, dst *remote.Repository, d ocispec.Descriptor, tag string) {
	t.Helper()
	ctx := context.Background()
	if _, err := oras.ExtendedCopy(ctx, src, d.Digest.String(), dst, tag, oras.DefaultExtendedCopyOptions); err != nil {
		t.Fatal(err)
	}
	if sig, err := src.Resolve(ctx, signature.LegacyTag(d.Digest)); err == nil {
		if _, err := oras.Copy(ctx, src, sig.Digest.String(), dst, signature.LegacyTag(d.Digest), oras.DefaultCopyOptions); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBogusLegacyFlood plants a .sig manifest of 1,000 bogus layers.
func TestBogusLegacyFlood(t *testing.T) {
	ctx := context.Background()
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	v := keyVerifier(t, nil, kp.Pub)
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			e := newTamperEnv(t, kind, kp)
			p := []byte(`{"critical":{}}`)
			layer := content.NewDescriptorFromBytes(signature.SimpleSigningMediaType, p)
			if err := e.repo.Push(ctx, layer, bytes.NewReader(p)); err != nil {
				t.Fatal(err)
			}
			layer.Annotations = map[string]string{signature.SignatureAnnotation: "AAAA"}
			layers := make([]ocispec.Descriptor, 1000)
			for i := range layers {
				layers[i] = layer
			}
			cfg := ocispec.DescriptorEmptyJSON
			if err := e.repo.Push(ctx, cfg, bytes.NewReader(cfg.Data)); err != nil {
				t.Fatal(err)
			}
			m, _ := json.Marshal(ocispec.Manifest{Versioned: manifestVersion, MediaType: ocispec.MediaTypeImageManifest,
				Config: ocispec.Descriptor{MediaType: cfg.MediaType, Digest: cfg.Digest, Size: cfg.Size}, Layers: layers})
			putManifest(t, e.reg, "apps/web", signature.LegacyTag(e.a.Digest), ocispec.MediaTypeImageManifest, m)
			repo := &countingRepo{Repository: sigtest.OpenRepo(t, e.repository)}
			_, err := v.Verify(ctx, repo, e.repository, e.a.Digest.String())
			if signature.ExitCode(err) != 12 {
				t.Fatalf("Verify() = %v, want exit 12", err)
			}
			if n := repo.fetches.Load(); n > signature.MaxCandidates+2 {
				t.Fatalf("%d fetches for 1,000 bogus layers, want at most %d", n, signature.MaxCandidates+2)
			}
		})
	}
}

func alterBundlePayload(t *testing.T, b []byte, from, to string) []byte {
	t.Helper()
	var bm map[string]any
	unmarshal(t, b, &bm)
	env := bm["dsseEnvelope"].(map[string]any)
	p, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	if !bytes.Contains(p, []byte(from)) {
		t.Fatalf("payload %s lacks %s", p, from)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(p, []byte(from), []byte(to), 1))
	out, _ := json.Marshal(bm)
	return out
}

func bundleSig(t *testing.T, b []byte) any {
	var bm map[string]any
	unmarshal(t, b, &bm)
	return bm["dsseEnvelope"].(map[string]any)["signatures"].([]any)[0].(map[string]any)["sig"]
}

func fetch(t testing.TB, repo *remote.Repository, d ocispec.Descriptor) []byte {
	t.Helper()
	b, err := content.FetchAll(context.Background(), repo, d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

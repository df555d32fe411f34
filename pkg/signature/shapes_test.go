package signature_test

import (
	"context"
	"encoding/json"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestReplicatedShapes checks that every signature gitless writes has the shape registries'
// replication classifies as a signature: Harbor counts a referrer as a cosign signature when its
// config media type is cosign's or its artifactType is the Sigstore bundle's, and as a Notation
// signature when its type is application/vnd.cncf.notary.signature (anything else is a generic
// accessory); zot's sync carries referrers and cosign's sha256-<hex>.sig tags.
// Reference: https://github.com/goharbor/harbor/blob/main/src/pkg/accessory/model/accessory.go
func TestReplicatedShapes(t *testing.T) {
	ctx := context.Background()
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			e := newNotationEnv(t, kind)
			kp := sigtest.NewKeyPair(t, e.dir, "k")
			bundle, err := signature.Sign(ctx, e.repo, kp.Signer, e.repository, e.subject, signature.WithTag("1.4.0"))
			if err != nil {
				t.Fatal(err)
			}
			legacy, err := signature.Sign(ctx, e.repo, kp.Signer, e.repository, e.subject, signature.WithFormat(signature.FormatLegacy), signature.WithTag("1.4.0"))
			if err != nil {
				t.Fatal(err)
			}
			notation := e.sign(t, e.leaf, signature.NotationJWSMediaType, "1.4.0")

			listed := map[string]ocispec.Descriptor{}
			refs, err := registry.Referrers(ctx, sigtest.OpenRepo(t, e.repository), e.subject, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range refs {
				listed[r.Digest.String()] = r
			}
			manifest := func(d ocispec.Descriptor) ocispec.Manifest {
				var m ocispec.Manifest
				if err := json.Unmarshal(fetch(t, e.repo, d), &m); err != nil {
					t.Fatal(err)
				}
				return m
			}
			// the Sigstore bundle: a referrer whose manifest declares the bundle artifactType
			bm := manifest(bundle)
			if bm.ArtifactType != signature.BundleMediaType || bm.Subject == nil || bm.Subject.Digest != e.subject.Digest {
				t.Errorf("bundle manifest artifactType %q subject %v", bm.ArtifactType, bm.Subject)
			}
			if r, ok := listed[bundle.Digest.String()]; !ok || (r.ArtifactType != signature.BundleMediaType && r.ArtifactType != ocispec.MediaTypeEmptyJSON) {
				t.Errorf("bundle referrer listed as %+v (present %v)", r, ok)
			}
			// Notation: config media type and listed artifactType are the Notary signature type
			nm := manifest(notation)
			if nm.Config.MediaType != signature.NotationArtifactType || nm.Subject == nil || nm.Subject.Digest != e.subject.Digest {
				t.Errorf("notation manifest config %q subject %v", nm.Config.MediaType, nm.Subject)
			}
			if r, ok := listed[notation.Digest.String()]; !ok || r.ArtifactType != signature.NotationArtifactType {
				t.Errorf("notation referrer listed as %+v (present %v)", r, ok)
			}
			// legacy: cosign's sha256-<hex>.sig tag (not a referrer), layers of simple-signing payloads
			tagged, err := e.repo.Resolve(ctx, signature.LegacyTag(e.subject.Digest))
			if err != nil || tagged.Digest != legacy.Digest {
				t.Fatalf("legacy tag resolves to %v, %v; want %s", tagged.Digest, err, legacy.Digest)
			}
			lm := manifest(legacy)
			if len(lm.Layers) == 0 || lm.Layers[0].MediaType != signature.SimpleSigningMediaType || lm.Layers[0].Annotations[signature.SignatureAnnotation] == "" {
				t.Errorf("legacy manifest layers %+v", lm.Layers)
			}
			if _, ok := listed[legacy.Digest.String()]; ok {
				t.Errorf("legacy signature %s is listed as a referrer", legacy.Digest)
			}
		})
	}
}

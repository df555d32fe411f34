package artifact_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	gitlessconfig "github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestCopyCarriesSignatures replicates a signed artifact hub -> OCI layout (the air gap) -> zone across
// registry kinds, and checks that both signature formats arrive and still bind the tag.
func TestCopyCarriesSignatures(t *testing.T) {
	pairs := [][2]testregistry.Kind{
		{testregistry.Referrers, testregistry.Distribution},
		{testregistry.Distribution, testregistry.Referrers},
	}
	for _, pair := range pairs {
		t.Run(string(pair[0])+"-to-"+string(pair[1]), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			opts := registry.DefaultOptions()
			opts.PlainHTTP = true
			open := func(s string) (registry.Reference, registry.Repository) {
				ref, err := registry.ParseReference(s)
				if err != nil {
					t.Fatal(err)
				}
				repo, err := opts.Open(ref)
				if err != nil {
					t.Fatal(err)
				}
				return ref, repo
			}
			hubRef, hub := open(testregistry.New(t, pair[0]).Host + "/platform/app:1.0.0")
			if _, err := artifact.Publish(ctx, hub, hubRef, "../../examples/plain", []string{"1.0.0"}, artifact.PublishOptions{}); err != nil {
				t.Fatal(err)
			}
			kp := sigtest.NewKeyPair(t, t.TempDir(), "hub")
			for _, f := range []signature.Format{signature.FormatBundle, signature.FormatLegacy} {
				if _, _, err := signature.SignReference(ctx, hub, kp.Signer, hubRef.Name(), "1.0.0", signature.WithFormat(f)); err != nil {
					t.Fatal(err)
				}
			}
			layoutRef, layout := open("oci-layout:" + filepath.Join(t.TempDir(), "transfer"))
			if _, err := artifact.Copy(ctx, hub, hubRef, layout, layoutRef, nil, artifact.CopyOptions{}); err != nil {
				t.Fatalf("hub -> layout: %v", err)
			}
			zoneRef, zone := open(testregistry.New(t, pair[1]).Host + "/platform/app")
			copied, err := artifact.Copy(ctx, layout, layoutRef.WithTag("1.0.0"), zone, zoneRef, nil, artifact.CopyOptions{})
			if err != nil {
				t.Fatalf("layout -> zone: %v", err)
			}
			kinds := map[string]bool{}
			for _, r := range copied.Referrers {
				kinds[r.Kind] = true
			}
			if !kinds[artifact.LabelSigstoreBundle] || !kinds[artifact.LabelCosignSignature] {
				t.Fatalf("zone referrers %+v, want a Sigstore bundle and a cosign signature", copied.Referrers)
			}
			v, err := signature.NewVerifier(&gitlessconfig.Policy{Match: "**", Keys: []string{kp.Pub}, RequireTagBinding: true})
			if err != nil {
				t.Fatal(err)
			}
			_, fresh := open(zoneRef.Name())
			res, err := v.Verify(ctx, fresh, zoneRef.Name(), "1.0.0")
			if err != nil || !res.TagBound || len(res.Signatures) != 2 {
				t.Fatalf("verify at the zone: %+v, %v", res, err)
			}
		})
	}
}

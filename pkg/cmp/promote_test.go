package cmp_test

import (
	"context"
	"errors"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/replicate"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestGeneratePromotedTags: after kubectl gitless tag (replicate.Promote) and a copy to the zone, the
// sidecar accepts a tag whose binding was signed and refuses one added without --sign, and one
// moved with --force onto another digest without signing.
func TestGeneratePromotedTags(t *testing.T) {
	w := newWorld(t, testregistry.Distribution, nil, nil)
	ctx := context.Background()
	ref, repo, _ := w.resolveRef(t, w.refs["plain"])
	zoneRef := ref
	zoneRef.Registry = w.zone.Host
	zone := w.zoneRepo(t, ref)
	sign := func(ctx context.Context, tag string) (ocispec.Descriptor, error) {
		_, sig, err := signature.SignReference(ctx, repo, w.signer, ref.Name(), tag)
		return sig, err
	}
	promote := func(tag string, opts replicate.PromoteOptions) {
		t.Helper()
		if _, err := replicate.Promote(ctx, repo, ref, []string{tag}, opts); err != nil {
			t.Fatalf("promoting %s: %v", tag, err)
		}
		if _, err := artifact.Copy(ctx, repo, ref.WithTag(tag), zone, zoneRef, nil, artifact.CopyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	promote("prod", replicate.PromoteOptions{Sign: sign})
	promote("staging", replicate.PromoteOptions{})
	cfg := w.config(t, "")
	run := func(tag string) error {
		_, logs, err := generate(t, cfg, nil, cmp.Env{AppName: "a", Params: cmp.Params{Ref: ref.WithTag(tag).String()}})
		if err != nil {
			t.Logf("%s: %v\n%s", tag, err, logs)
		}
		return err
	}
	if err := run("prod"); err != nil {
		t.Errorf("signed promotion refused: %v", err)
	}
	if err := run("staging"); !errors.Is(err, signature.ErrTagNotBound) {
		t.Errorf("unsigned promotion: want ErrTagNotBound, got %v", err)
	}
	// prod moved (with --force, unsigned) onto another signed release: refused, the binding names the old digest
	v2 := w.publish(t, "../../examples/plain/configmap.yaml", "platform/plain", "2.0.0", true)
	ref2, _ := registry.ParseReference(v2)
	if _, err := replicate.Promote(ctx, repo, ref2, []string{"prod"}, replicate.PromoteOptions{}); !errors.Is(err, replicate.ErrTagMove) {
		t.Fatalf("moving prod without --force: want ErrTagMove, got %v", err)
	}
	if _, err := replicate.Promote(ctx, repo, ref2, []string{"prod"}, replicate.PromoteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := run("prod"); !errors.Is(err, signature.ErrTagNotBound) {
		t.Errorf("prod moved unsigned: want ErrTagNotBound, got %v", err)
	}
}

package replicate_test

import (
	"context"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/replicate"
	"github.com/gitless-dev/gitless/pkg/signature"
)

func (w *world) targets(t *testing.T, s *replicate.Spec, repository string) []replicate.Target {
	t.Helper()
	var out []replicate.Target
	for i := range s.Zones {
		z := &s.Zones[i]
		ref := z.Reference(repository)
		repo, err := z.Options(testOptions().Registry).Open(ref)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, replicate.Target{Name: z.Name, Ref: ref, Repo: repo})
	}
	return out
}

func (w *world) verify(t *testing.T, repository string) replicate.VerifyFunc {
	v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{w.key.Pub}})
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, store registry.Repository, desc ocispec.Descriptor, tag string) error {
		_, err := v.VerifyDescriptor(ctx, store, repository, desc, tag)
		return err
	}
}

func cellStates(r *replicate.StatusReport) map[string]string {
	m := map[string]string{}
	for _, c := range r.Cells {
		m[c.Zone+" "+c.Tag] = c.State
	}
	return m
}

// TestStatusAfterPartialCopyAndDivergence: a zone that has a release's manifest and tag but not its
// signature is behind, one without the tag is missing, one serving an older signed digest under the
// tag has diverged, and an unsigned release in place everywhere is unsigned once signatures are checked.
func TestStatusAfterPartialCopyAndDivergence(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.publish(t, "platform/app", "1.0.0", "one")
	w.publish(t, "platform/app", "1.1.0", "two")
	s := w.spec(t, `- {repositories: [platform/app]}`)
	if _, err := replicate.Run(ctx, s, testOptions()); err != nil {
		t.Fatal(err)
	}
	hub, hubName := sigtest.NewRepo(t, w.hub, "platform/app")
	ref, _ := registry.ParseReference(hubName)
	rep, err := replicate.Status(ctx, hub, ref, w.targets(t, s, "platform/app"), replicate.StatusOptions{Verify: w.verify(t, hubName)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Drifted() || len(rep.Cells) != 6 {
		t.Fatalf("after replicate: want 6 cells in sync, got %v", cellStates(rep))
	}

	// 1.2.0: zone-a gets the manifest and tag only (a copy cut short before the signature)
	w.publish(t, "platform/app", "1.2.0", "three")
	d12, err := hub.Resolve(ctx, "1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	zoneA, _ := sigtest.NewRepo(t, w.zoneA, "platform/app")
	if err := oras.CopyGraph(ctx, hub, zoneA, d12, oras.DefaultCopyGraphOptions); err != nil {
		t.Fatal(err)
	}
	if err := zoneA.Tag(ctx, d12, "1.2.0"); err != nil {
		t.Fatal(err)
	}
	// zone-b serves the older signed 1.0.0 under 1.1.0
	zoneB, _ := sigtest.NewRepo(t, w.zoneB, "platform/app")
	d10, _ := zoneB.Resolve(ctx, "1.0.0")
	if err := zoneB.Tag(ctx, d10, "1.1.0"); err != nil {
		t.Fatal(err)
	}
	// 1.3.0 is unsigned on the hub and replicated everywhere
	sigtest.PushArtifact(t, hub, "1.3.0", "four")
	if _, err := replicate.Run(ctx, w.spec(t, `- {repositories: [platform/app], tags: ["1.3.0"]}`), testOptions()); err != nil {
		t.Fatal(err)
	}

	rep, err = replicate.Status(ctx, hub, ref, w.targets(t, s, "platform/app"), replicate.StatusOptions{Verify: w.verify(t, hubName)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"zone-a 1.0.0": replicate.InSync, "zone-a 1.1.0": replicate.InSync, "zone-a 1.2.0": replicate.Behind, "zone-a 1.3.0": replicate.Unsigned,
		"zone-b 1.0.0": replicate.InSync, "zone-b 1.1.0": replicate.Diverged, "zone-b 1.2.0": replicate.Missing, "zone-b 1.3.0": replicate.Unsigned,
		"airgap 1.0.0": replicate.InSync, "airgap 1.1.0": replicate.InSync, "airgap 1.2.0": replicate.Missing, "airgap 1.3.0": replicate.Unsigned,
	}
	got := cellStates(rep)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if !rep.Drifted() {
		t.Error("drift not reported")
	}
	for _, c := range rep.Cells {
		t.Logf("%s %s %s %s", c.Zone, c.Tag, c.State, c.Reason)
	}
}

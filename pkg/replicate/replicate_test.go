package replicate_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/replicate"
)

func TestReplicateTwiceSecondRunOnlyReads(t *testing.T) {
	w := newWorld(t)
	for _, v := range []string{"1.3.0", "1.4.0", "1.5.0", "2.0.0"} {
		w.publish(t, "platform/app", v, "app "+v)
	}
	w.publish(t, "platform/db", "1.4.2", "db")
	w.publish(t, "other/x", "1.4.0", "x")
	s := w.spec(t, `- {repositories: ["platform/**"], versions: ">=1.4 <2"}`)
	ctx := context.Background()

	rep, err := replicate.Run(ctx, s, testOptions())
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	var got []string
	for _, a := range rep.Artifacts {
		got = append(got, a.Repository+":"+a.Tags[0])
	}
	if want := []string{"platform/app:1.4.0", "platform/app:1.5.0", "platform/db:1.4.2"}; !slices.Equal(got, want) {
		t.Fatalf("selected %v, want %v", got, want)
	}
	for _, z := range rep.Zones {
		if z.Copied != 3 || z.Failed != 0 {
			t.Errorf("zone %s: copied %d failed %d, want 3 and 0: %+v", z.Name, z.Copied, z.Failed, z.Outcomes)
		}
	}

	w.countA.reset()
	w.countB.reset()
	rep, err = replicate.Run(ctx, s, testOptions())
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, z := range rep.Zones {
		if z.Present != 3 || z.Copied != 0 {
			t.Errorf("zone %s second run: present %d copied %d, want 3 and 0: %+v", z.Name, z.Present, z.Copied, z.Outcomes[0])
		}
	}
	for name, c := range map[string]*counter{"zone-a": &w.countA, "zone-b": &w.countB} {
		if c.writes.Load() != 0 {
			t.Errorf("%s: second run wrote %d times", name, c.writes.Load())
		}
		// per artifact: the tag and the referrers; zone-b probes the referrers API once per run
		if reads := c.reads.Load(); reads > 2*3+1 {
			t.Errorf("%s: second run read %d times for 3 artifacts, want at most 7", name, reads)
		}
		t.Logf("%s: second run %d reads for 3 artifacts", name, c.reads.Load())
	}
}

func TestReplicateZoneFailingMidRun(t *testing.T) {
	w := newWorld(t)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		w.publish(t, "platform/app", v, "app "+v)
	}
	s := w.spec(t, `- {repositories: [platform/app]}`)
	w.faultB.Set(testregistry.Fault503)
	rep, err := replicate.Run(context.Background(), s, testOptions())
	if !errors.Is(err, replicate.ErrZonesFailed) || rep == nil {
		t.Fatalf("want ErrZonesFailed with a report, got %v", err)
	}
	if z := zoneReport(t, rep, "zone-b"); z.Failed != 3 {
		t.Errorf("zone-b: failed %d, want 3: %+v", z.Failed, z.Outcomes)
	}
	for _, name := range []string{"zone-a", "airgap"} {
		if z := zoneReport(t, rep, name); z.Copied != 3 {
			t.Errorf("%s: copied %d, want 3 despite zone-b: %+v", name, z.Copied, z.Outcomes)
		}
	}
	// the zone comes back: the next run copies only there
	w.faultB.Set(testregistry.NoFault)
	rep, err = replicate.Run(context.Background(), s, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if z := zoneReport(t, rep, "zone-b"); z.Copied != 3 {
		t.Errorf("zone-b after recovery: copied %d, want 3", z.Copied)
	}
	if z := zoneReport(t, rep, "zone-a"); z.Present != 3 {
		t.Errorf("zone-a after recovery: present %d, want 3", z.Present)
	}
}

func TestReplicateDryRunWritesNothing(t *testing.T) {
	w := newWorld(t)
	w.publish(t, "platform/app", "1.0.0", "app")
	s := w.spec(t, `- {repositories: [platform/app], tags: ["1.*"]}`)
	o := testOptions()
	o.DryRun = true
	rep, err := replicate.Run(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	if z := zoneReport(t, rep, "zone-a"); z.Planned != 1 || z.Outcomes[0].Reason != "tag 1.0.0 missing" {
		t.Errorf("dry run: %+v %+v", z, z.Outcomes[0])
	}
	if w.countA.writes.Load()+w.countB.writes.Load() != 0 {
		t.Error("dry run wrote to a zone")
	}
}

package replicate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/replicate"
)

// BenchmarkReplicate measures what a re-run with nothing new costs: requests per artifact per zone
// (the goal is at most 2) for 50 signed artifacts and two zones (referrers API, and Distribution's
// referrers tag schema), and none of them writes; then status over the 50 tags × 3 zones (the two
// registries and an oci-layout directory): requests and time.
func BenchmarkReplicate(b *testing.B) {
	w := newWorld(b)
	const n = 50
	for i := range n {
		w.publish(b, "platform/app", fmt.Sprintf("1.%d.0", i), fmt.Sprint("release ", i))
	}
	s := w.spec(b, `- {repositories: ["platform/**"]}`)
	ctx := context.Background()
	if _, err := replicate.Run(ctx, s, testOptions()); err != nil {
		b.Fatal(err)
	}
	benchRerun(b, w, s, n)
	b.Run("status-50x3", func(b *testing.B) {
		hub, name := sigtest.NewRepo(b, w.hub, "platform/app")
		ref, _ := registry.ParseReference(name)
		var targets []replicate.Target
		for i := range s.Zones {
			z := &s.Zones[i]
			zr := z.Reference("platform/app")
			repo, err := z.Options(testOptions().Registry).Open(zr)
			if err != nil {
				b.Fatal(err)
			}
			targets = append(targets, replicate.Target{Name: z.Name, Ref: zr, Repo: repo})
		}
		for range b.N {
			before := w.hub.Requests() + w.zoneA.Requests() + w.zoneB.Requests()
			start := time.Now()
			rep, err := replicate.Status(ctx, hub, ref, targets, replicate.StatusOptions{})
			if err != nil || rep.Drifted() || len(rep.Cells) != n*3 {
				b.Fatalf("status: %v, drifted %v, %d cells", err, rep != nil && rep.Drifted(), len(rep.Cells))
			}
			b.ReportMetric(float64(w.hub.Requests()+w.zoneA.Requests()+w.zoneB.Requests()-before), "requests")
			b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms")
		}
	})
}

// BenchmarkReplicateImages measures a re-run with images: true: 50 signed artifacts, each locking 2 of
// 10 signed two-platform images (so each image is locked by 10 artifacts), to the two registry zones
// and the air gap. Reported: requests per artifact per zone (the images' reads included) and at the
// hub; nothing may be written.
func BenchmarkReplicateImages(b *testing.B) {
	w := newWorld(b)
	const n, m = 50, 10
	var imgs []images.Image
	for i := range m {
		imgs = append(imgs, w.pushImage(b, fmt.Sprintf("library/img%d", i), "1.0"))
	}
	for i := range n {
		w.publishLocked(b, "platform/app", fmt.Sprintf("1.%d.0", i), fmt.Sprint("release ", i), imgs[i%m], imgs[(i+1)%m])
	}
	s := w.imagesSpec(b, `- {repositories: ["platform/**"]}`)
	ctx := context.Background()
	rep, err := replicate.Run(ctx, s, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	if z := rep.Zones[0]; z.Images.Copied != m {
		b.Fatalf("first run copied %d images, want %d", z.Images.Copied, m)
	}
	benchRerun(b, w, s, n)
}

// benchRerun times replicate runs with nothing new for the n artifacts already copied, fails on any
// write, and reports the requests per artifact at each zone and at the hub.
func benchRerun(b *testing.B, w *world, s *replicate.Spec, n float64) {
	ctx := context.Background()
	b.Run("rerun", func(b *testing.B) {
		for range b.N {
			a0, b0, h0 := w.zoneA.Requests(), w.zoneB.Requests(), w.hub.Requests()
			w.countA.reset()
			w.countB.reset()
			if _, err := replicate.Run(ctx, s, testOptions()); err != nil {
				b.Fatal(err)
			}
			if writes := w.countA.writes.Load() + w.countB.writes.Load(); writes != 0 {
				b.Fatalf("re-run wrote %d times", writes)
			}
			b.ReportMetric(float64(w.zoneA.Requests()-a0)/n, "req/artifact/zone-a")
			b.ReportMetric(float64(w.zoneB.Requests()-b0)/n, "req/artifact/zone-b")
			b.ReportMetric(float64(w.hub.Requests()-h0)/n, "req/artifact/hub")
		}
	})
}

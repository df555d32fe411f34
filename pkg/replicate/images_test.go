package replicate_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/replicate"
)

// imagesWorld publishes two signed images and three artifacts on the hub: app 1.0.0 locks both
// images, app 1.1.0 only web (shared with 1.0.0), db 1.0.0 none.
func imagesWorld(t *testing.T) (*world, images.Image, images.Image) {
	w := newWorld(t)
	web, tools := w.pushImage(t, "library/web", "1.0"), w.pushImage(t, "library/tools", "2.1")
	w.publishLocked(t, "platform/app", "1.0.0", "app 1.0", web, tools)
	w.publishLocked(t, "platform/app", "1.1.0", "app 1.1", web)
	w.publish(t, "platform/db", "1.0.0", "db")
	return w, web, tools
}

// imageAtPrefix fails the test unless the zone serves im by digest under prefix.
func imageAtPrefix(t *testing.T, prefix string, im images.Image) {
	t.Helper()
	o := registry.DefaultOptions()
	o.PlainHTTP = true
	repo, err := o.Remote(images.MirrorName(prefix, im.Name))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := repo.Resolve(context.Background(), im.Tag); err != nil || d.Digest.String() != im.Digest {
		t.Errorf("%s:%s at %s: %v %v, want %s", im.Name, im.Tag, prefix, d.Digest, err, im.Digest)
	}
}

func TestReplicateImagesTwiceSecondRunOnlyReads(t *testing.T) {
	w, web, tools := imagesWorld(t)
	s := w.imagesSpec(t, `- {repositories: ["platform/**"]}`)
	ctx := context.Background()

	dry := testOptions()
	dry.DryRun = true
	rep, err := replicate.Run(ctx, s, dry)
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if z := zoneReport(t, rep, "zone-a"); z.Images == nil || z.Images.Planned != 2 || len(z.Images.Images) != 2 {
		t.Fatalf("dry run lists the images to copy once each: %+v", z.Images)
	}
	if w.countA.writes.Load()+w.countB.writes.Load() != 0 {
		t.Fatal("the dry run wrote")
	}

	rep, err = replicate.Run(ctx, s, testOptions())
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	for _, z := range rep.Zones {
		if z.Copied != 3 || z.Images == nil || z.Images.Copied != 2 || z.Images.Failed != 0 {
			t.Errorf("zone %s: %d artifacts copied, images %+v; want 3 artifacts and 2 images (web once)", z.Name, z.Copied, z.Images)
		}
	}
	for _, im := range []images.Image{web, tools} {
		imageAtPrefix(t, w.zoneA.Host+"/mirror", im)
		imageAtPrefix(t, w.zoneB.Host+"/mirror", im)
	}
	// the air gap carries the images in the app's own layout, so a copy out of it takes them along
	layout, err := registry.DefaultOptions().Open(s.Zones[2].Reference("platform/app"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := layout.Resolve(ctx, imagecopy.LayoutTag(web.Name, web.Digest)); err != nil {
		t.Errorf("web is not in the air gap's platform/app layout: %v", err)
	}

	w.countA.reset()
	w.countB.reset()
	rep, err = replicate.Run(ctx, s, testOptions())
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, z := range rep.Zones {
		if z.Present != 3 || z.Images.Present != 2 || z.Images.Copied != 0 {
			t.Errorf("zone %s second run: %d artifacts present, images %+v", z.Name, z.Present, z.Images)
		}
	}
	for name, c := range map[string]*counter{"zone-a": &w.countA, "zone-b": &w.countB} {
		if c.writes.Load() != 0 {
			t.Errorf("%s: second run wrote %d times", name, c.writes.Load())
		}
		// per artifact a tag and a referrers listing; per image its tag and its referrers; zone-b
		// (no referrers API) probes once for the artifacts and once for the images
		if reads := c.reads.Load(); reads > 2*3+2*2+2 {
			t.Errorf("%s: second run read %d times for 3 artifacts and 2 images, want at most 12", name, reads)
		}
		t.Logf("%s: second run %d reads for 3 artifacts and 2 images", name, c.reads.Load())
	}
}

// failPath answers 503 to every request whose path contains the value set, when one is set.
type failPath struct{ v atomic.Value }

func (f *failPath) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if p, _ := f.v.Load().(string); p != "" && strings.Contains(r.URL.Path, p) {
			http.Error(rw, "unavailable", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

// TestReplicateImageFailingAtOneZone: zone-b fails in the middle of the run, on one image; the
// artifacts that lock it are not copied there (a zone never serves configuration whose images it
// lacks), the rest is, the other zones finish, and the run fails naming zone-b. The next run
// completes zone-b and only reads elsewhere.
func TestReplicateImageFailingAtOneZone(t *testing.T) {
	var fail failPath
	w := newWorld(t)
	w.zoneB = testregistry.New(t, testregistry.Distribution, testregistry.WithMiddleware(func(h http.Handler) http.Handler {
		return w.countB.middleware(fail.middleware(h))
	}))
	web, tools := w.pushImage(t, "library/web", "1.0"), w.pushImage(t, "library/tools", "2.1")
	w.publishLocked(t, "platform/app", "1.0.0", "app 1.0", web, tools)
	w.publishLocked(t, "platform/app", "1.1.0", "app 1.1", web)
	w.publish(t, "platform/db", "1.0.0", "db")
	s := w.imagesSpec(t, `- {repositories: ["platform/**"]}`)
	fail.v.Store("/mirror/" + strings.ReplaceAll(w.hub.Host, ":", "_") + "/library/tools/")

	rep, err := replicate.Run(context.Background(), s, testOptions())
	if !errors.Is(err, replicate.ErrZonesFailed) || rep == nil {
		t.Fatalf("want ErrZonesFailed with a report, got %v", err)
	}
	zb := zoneReport(t, rep, "zone-b")
	if zb.Images.Failed != 1 || zb.Images.Copied != 1 || zb.Failed != 1 || zb.Copied != 2 {
		t.Fatalf("zone-b: images %+v; artifacts %d copied %d failed, want tools failed, app 1.0.0 failed, the rest copied",
			zb.Images, zb.Copied, zb.Failed)
	}
	for _, o := range zb.Outcomes {
		if o.State == replicate.StateFailed && (!strings.Contains(o.Reference, "platform/app") || !strings.Contains(o.Reason, "library/tools")) {
			t.Errorf("zone-b: %s failed for %q, want app 1.0.0 for library/tools", o.Reference, o.Reason)
		}
	}
	for _, name := range []string{"zone-a", "airgap"} {
		if z := zoneReport(t, rep, name); z.Copied != 3 || z.Images.Copied != 2 {
			t.Errorf("%s: %d artifacts, images %+v, want all despite zone-b", name, z.Copied, z.Images)
		}
	}

	fail.v.Store("")
	w.countA.reset()
	rep, err = replicate.Run(context.Background(), s, testOptions())
	if err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if zb := zoneReport(t, rep, "zone-b"); zb.Copied != 1 || zb.Images.Copied != 1 || zb.Images.Present != 1 {
		t.Errorf("zone-b after recovery: %d artifacts copied, images %+v", zb.Copied, zb.Images)
	}
	if w.countA.writes.Load() != 0 {
		t.Errorf("zone-a written again after recovery: %d writes", w.countA.writes.Load())
	}
}

// TestStatusImages: after Harbor-like replication of the artifacts alone and a partial images copy
// to zone-a, status marks behind exactly the cells whose lock names the missing image.
func TestStatusImages(t *testing.T) {
	w, web, _ := imagesWorld(t)
	ctx := context.Background()
	full := w.imagesSpec(t, `- {repositories: ["platform/app"]}`)
	full.Zones = full.Zones[1:] // zone-b gets everything, images included
	if _, err := replicate.Run(ctx, full, testOptions()); err != nil {
		t.Fatal(err)
	}
	bare := w.spec(t, `- {repositories: ["platform/app"]}`)
	bare.Zones = bare.Zones[:1] // zone-a gets the artifacts, and web only
	if _, err := replicate.Run(ctx, bare, testOptions()); err != nil {
		t.Fatal(err)
	}
	zoneA := w.imagesSpec(t, `- {repositories: ["platform/app"]}`).Zones[0]
	dst, _ := zoneA.ImagesDestination("platform/app", zoneA.Options(testOptions().Registry), nil)
	src := func(n string) (registry.Repository, error) {
		o := testOptions().Registry
		o.PlainHTTP = true
		return o.Remote(n)
	}
	if _, err := imagecopy.Copy(ctx, images.Lock{Images: []images.Image{web}}, src, []imagecopy.Destination{dst}); err != nil {
		t.Fatal(err)
	}

	hub, name := sigtest.NewRepo(t, w.hub, "platform/app")
	ref, _ := registry.ParseReference(name)
	spec := w.imagesSpec(t, `- {repositories: ["platform/app"]}`)
	var targets []replicate.Target
	for i := range spec.Zones {
		z := &spec.Zones[i]
		zr := z.Reference("platform/app")
		opts := z.Options(testOptions().Registry)
		repo, err := opts.Open(zr)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := z.ImagesDestination("platform/app", opts, repo)
		targets = append(targets, replicate.Target{Name: z.Name, Ref: zr, Repo: repo, Images: &d})
	}
	targets = targets[:2]
	rep, err := replicate.Status(ctx, hub, ref, targets, replicate.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Drifted() {
		t.Fatal("status: no drift with tools missing at zone-a")
	}
	for _, c := range rep.Cells {
		want, images := replicate.InSync, replicate.InSync
		if c.Zone == "zone-a" && c.Tag == "1.0.0" {
			want, images = replicate.Behind, replicate.Missing
		}
		if c.State != want || c.Images != images {
			t.Errorf("%s %s: %s (images %s: %v) %s; want %s, images %s", c.Zone, c.Tag, c.State, c.Images, c.ImagesMissing, c.Reason, want, images)
		}
		if c.State == replicate.Behind && (len(c.ImagesMissing) != 1 || !strings.Contains(c.ImagesMissing[0], "library/tools") || c.ImagesLocked != 2) {
			t.Errorf("%s %s: missing %v of %d, want library/tools of 2", c.Zone, c.Tag, c.ImagesMissing, c.ImagesLocked)
		}
	}
}

// TestReplicateUnpinnedImagesSkipped: an image locked without a digest (publish --images=record) is not
// copied and does not fail the zone: the sidecar leaves it pointing upstream. The report names it.
func TestReplicateUnpinnedImagesSkipped(t *testing.T) {
	w := newWorld(t)
	web := w.pushImage(t, "library/web", "1.0")
	redis := images.Image{Ref: "redis:7", Name: "docker.io/library/redis", Tag: "7"}
	w.publishLocked(t, "platform/app", "1.0.0", "app", web, redis)
	rep, err := replicate.Run(context.Background(), w.imagesSpec(t, `- {repositories: [platform/app]}`), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range rep.Zones {
		if z.Copied != 1 || z.Images.Copied != 1 || z.Images.Failed != 0 || len(z.Images.Unpinned) != 1 || z.Images.Unpinned[0] != "redis:7" {
			t.Errorf("zone %s: %d artifacts copied, images %+v", z.Name, z.Copied, z.Images)
		}
	}
}

func TestZonesFileImagesPrefix(t *testing.T) {
	for _, tt := range []struct{ zones, want string }{
		{`[{registry: zone-a.example.com, images: zone-a.example.com/mirror}]`, ""},
		{`[{registry: zone-a.example.com}]`, "needs the zone's images prefix"},
		{`[{registry: zone-a.example.com, images: mirror}]`, "want HOST[:PORT]/PREFIX"},
		{`[{registry: zone-a.example.com, images: "https://zone-a.example.com/mirror"}]`, "without scheme"},
		{`[{registry: "oci-layout:/airgap"}]`, ""},
		{`[{registry: "oci-layout:/airgap", images: zone-a.example.com/mirror}]`, "keeps the images in each repository's layout"},
	} {
		_, err := replicate.Parse([]byte("apiVersion: gitless.dev/v1alpha1\nkind: Replication\nhub: {registry: hub.example.com}\n" +
			"images: true\nrules: [{repositories: [platform/app]}]\nzones: " + tt.zones))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.zones, err)
		case tt.want != "" && (!errors.Is(err, replicate.ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want %q", tt.zones, err, tt.want)
		}
	}
}

package imagecopy_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestCopyImagesToZones copies signed multi-platform images with an SBOM from a hub to a zone with
// the referrers API and to one without it (CNCF Distribution: the referrers tag schema): every
// platform manifest, both signature forms and the SBOM arrive byte-exact, `cosign verify` accepts
// the zone's copy, and a re-run writes nothing and reads at most 3 times per image.
func TestCopyImagesToZones(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newCosign(t)
	hub := testregistry.New(t, testregistry.Referrers)
	lock := hubImages(t, hub, c, 2)
	for _, kind := range []string{string(testregistry.Referrers), "distribution-binary"} {
		t.Run(kind, func(t *testing.T) {
			var w writes
			var host string
			if kind == string(testregistry.Referrers) {
				host = testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(w.middleware)).Host
			} else {
				host = countingProxy(t, startDistribution(t, ""), &w)
			}
			prefix := host + "/mirror"
			// one image at a time, so that the second finds the shared base layer to mount
			reports, err := imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{zoneDest(prefix)}, imagecopy.WithConcurrency(1))
			if err != nil {
				t.Fatalf("copy: %v\n%+v", err, reports)
			}
			if r := reports[0]; r.Copied != 2 || r.Present != 0 {
				t.Fatalf("report %+v, want 2 copied", r)
			}
			if m := reports[0].Images[1].Mounted; m == 0 && kind == "distribution-binary" { // go-containerregistry's registry has no mount
				t.Errorf("the second image mounted no blob (its base layer is in the first image's repository)")
			}
			for _, im := range lock.Images {
				zoneRepo := images.MirrorName(prefix, im.Name)
				checkSame(t, im.Name, zoneRepo, im.Digest)
				if out, err := c.verify(zoneRepo + "@" + im.Digest); err != nil {
					t.Fatalf("cosign verify at the zone: %v\n%s", err, out)
				}
				if out, err := c.verify(zoneRepo + ":" + im.Tag); err != nil {
					t.Fatalf("cosign verify of the zone's tag: %v\n%s", err, out)
				}
			}
			before, all := w.writes.Load(), w.all.Load()
			reports, err = imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{zoneDest(prefix)})
			if err != nil || reports[0].Present != 2 {
				t.Fatalf("re-run: %v %+v", err, reports)
			}
			if n := w.writes.Load() - before; n != 0 {
				t.Fatalf("the re-run made %d writes at the zone, want 0", n)
			}
			// per image: its tag, its referrers, its .sig tag; once per zone, the referrers API probe
			n := w.all.Load() - all
			t.Logf("re-run: %d requests for %d images at the zone (%s)", n, len(lock.Images), kind)
			if n > int64(3*len(lock.Images)+1) {
				t.Fatalf("re-run: %d requests for %d images, want at most 3 per image (tag, referrers, .sig) and one probe", n, len(lock.Images))
			}
		})
	}
}

// checkSame checks that every platform manifest, every referrer and the legacy .sig tag of the image
// at hubRepo@dgst exist byte-exact at zoneRepo.
func checkSame(t *testing.T, hubRepo, zoneRepo, dgst string) {
	t.Helper()
	ctx := context.Background()
	raw := fetchBytes(t, hubRepo, dgst)
	if !bytes.Equal(raw, fetchBytes(t, zoneRepo, dgst)) {
		t.Fatalf("%s: index differs", zoneRepo)
	}
	hub, _ := testOptions().Remote(hubRepo)
	zone, _ := testOptions().Remote(zoneRepo)
	root, _ := hub.Resolve(ctx, dgst)
	children, err := content.Successors(ctx, hub, root)
	if err != nil || len(children) != 3 {
		t.Fatalf("index children %d, %v", len(children), err)
	}
	refs, err := orasregistry.Referrers(ctx, hub, root, "")
	if err != nil || len(refs) != 2 { // the Sigstore bundle and the SBOM
		t.Fatalf("hub referrers %d, %v; want the bundle and the SBOM", len(refs), err)
	}
	for _, d := range append(children, refs...) {
		if !bytes.Equal(fetchBytes(t, hubRepo, d.Digest.String()), fetchBytes(t, zoneRepo, d.Digest.String())) {
			t.Fatalf("%s@%s differs", zoneRepo, d.Digest)
		}
	}
	zrefs, err := orasregistry.Referrers(ctx, zone, root, "")
	if err != nil || len(zrefs) != len(refs) {
		t.Fatalf("zone lists %d referrers, %v; want %d", len(zrefs), err, len(refs))
	}
	sig := artifact.LegacyTag(root, ".sig")
	h, err1 := hub.Resolve(ctx, sig)
	z, err2 := zone.Resolve(ctx, sig)
	if err1 != nil || err2 != nil || h.Digest != z.Digest {
		t.Fatalf("legacy %s: hub %v %v, zone %v %v", sig, h.Digest, err1, z.Digest, err2)
	}
}

// TestCopyImagesAirGap: hub -> OCI layout (one directory) -> zone gives the same digests, and the
// layout names each image so that it maps back.
func TestCopyImagesAirGap(t *testing.T) {
	ctx := context.Background()
	c := newCosign(t)
	hub := testregistry.New(t, testregistry.Distribution)
	lock := hubImages(t, hub, c, 2)
	dir := filepath.Join(t.TempDir(), "transfer")
	store, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	layout := imagecopy.Destination{Name: "oci-layout:" + dir, Layout: true, Open: func(string) (registry.Repository, error) { return store, nil }}
	if _, err := imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{layout}); err != nil {
		t.Fatalf("hub -> layout: %v", err)
	}
	// the other side of the air gap opens the directory afresh
	carried, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range lock.Images {
		d, err := carried.Resolve(ctx, imagecopy.LayoutTag(im.Name, im.Digest))
		if err != nil || d.Digest.String() != im.Digest {
			t.Fatalf("layout name %s: %v %v", imagecopy.LayoutTag(im.Name, im.Digest), d.Digest, err)
		}
	}
	z := testregistry.New(t, testregistry.Referrers)
	prefix := z.Host + "/mirror"
	fromLayout := func(string) (registry.Repository, error) { return carried, nil }
	reports, err := imagecopy.Copy(ctx, lock, fromLayout, []imagecopy.Destination{zoneDest(prefix)})
	if err != nil || reports[0].Copied != 2 {
		t.Fatalf("layout -> zone: %v %+v", err, reports)
	}
	for _, im := range lock.Images {
		checkSame(t, im.Name, images.MirrorName(prefix, im.Name), im.Digest)
		if out, err := c.verify(images.MirrorName(prefix, im.Name) + "@" + im.Digest); err != nil {
			t.Fatalf("cosign verify after the air gap: %v\n%s", err, out)
		}
	}
}

// TestCopyImagesFailingZone: a zone that answers 503 gives an error and a report naming each image;
// the healthy zone of the same run gets its copies.
func TestCopyImagesFailingZone(t *testing.T) {
	ctx := context.Background()
	hub := testregistry.New(t, testregistry.Referrers)
	lock := hubImages(t, hub, nil, 2)
	var sw testregistry.Switch
	sw.Set(testregistry.Fault503)
	bad := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(sw.Middleware))
	good := testregistry.New(t, testregistry.Referrers)
	reports, err := imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{zoneDest(good.Host + "/m"), zoneDest(bad.Host + "/m")})
	if !errors.Is(err, imagecopy.ErrImagesNotCopied) {
		t.Fatalf("err = %v, want ErrImagesNotCopied", err)
	}
	if reports[0].Copied != 2 || reports[1].Failed != 2 {
		t.Fatalf("reports %+v", reports)
	}
	for _, r := range reports[1].Images {
		if r.Status != imagecopy.StatusFailed || !strings.Contains(r.Reason, "503") {
			t.Fatalf("failed image report %+v, want the 503 named", r)
		}
	}
}

// TestCopyImagesVerify: with a verifier, an unsigned image is refused and named with the reason; the
// signed one is copied.
func TestCopyImagesVerify(t *testing.T) {
	ctx := context.Background()
	c := newCosign(t)
	hub := testregistry.New(t, testregistry.Referrers)
	lock := hubImages(t, hub, nil, 2)
	c.signBoth(t, lock.Images[0].Name+"@"+lock.Images[0].Digest)
	v, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{c.key.Pub}})
	if err != nil {
		t.Fatal(err)
	}
	verify := func(ctx context.Context, store registry.Repository, name string, desc ocispec.Descriptor) error {
		_, err := v.VerifyDescriptor(ctx, store, name, desc, "")
		return err
	}
	z := testregistry.New(t, testregistry.Referrers)
	reports, err := imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{zoneDest(z.Host + "/m")}, imagecopy.WithVerify(verify))
	if !errors.Is(err, imagecopy.ErrImagesNotCopied) {
		t.Fatalf("err = %v", err)
	}
	r := reports[0]
	if r.Copied != 1 || r.Refused != 1 || r.Images[1].Status != imagecopy.StatusRefused || !strings.Contains(r.Images[1].Reason, "no signature") {
		t.Fatalf("report %+v", r)
	}
	zone, _ := testOptions().Remote(images.MirrorName(z.Host+"/m", lock.Images[1].Name))
	if _, err := zone.Resolve(ctx, lock.Images[1].Digest); err == nil {
		t.Fatal("the refused image is at the zone")
	}
}

// TestCopyImagesPlatforms: --platform pushes the index unchanged (the locked digest must exist at the
// zone) with only the chosen platforms' manifests. A registry that validates every child of an index
// refuses that, and the report says what to do; an unknown platform is an error naming those there are.
func TestCopyImagesPlatforms(t *testing.T) {
	ctx := context.Background()
	hub := testregistry.New(t, testregistry.Referrers)
	lock := hubImages(t, hub, nil, 1)
	im := lock.Images[0]
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			z := testregistry.New(t, kind)
			reports, err := imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{zoneDest(z.Host + "/m")},
				imagecopy.WithPlatforms([]string{"linux/arm64/v8"}))
			if err != nil {
				if r := reports[0].Images[0].Reason; !strings.Contains(r, "copy without --platform") {
					t.Fatalf("refused partial index without the way out: %q", r)
				}
				t.Logf("%s refuses a partial index: %s", kind, reports[0].Images[0].Reason)
				return
			}
			zoneRepo := images.MirrorName(z.Host+"/m", im.Name)
			if !bytes.Equal(fetchBytes(t, im.Name, im.Digest), fetchBytes(t, zoneRepo, im.Digest)) {
				t.Fatal("index differs")
			}
			hubRepo, _ := testOptions().Remote(im.Name)
			zone, _ := testOptions().Remote(zoneRepo)
			root, _ := hubRepo.Resolve(ctx, im.Digest)
			children, _ := content.Successors(ctx, hubRepo, root)
			for i, ch := range children {
				ok, err := zone.Exists(ctx, ch)
				if want := i == 1; ok != want || err != nil {
					t.Errorf("platform %d at the zone: %v %v, want %v", i, ok, err, want)
				}
			}
		})
	}
	t.Run("distribution-binary-partial-indexes", func(t *testing.T) {
		zone := startDistribution(t, "validation: {manifests: {indexes: {platforms: none}}}\n")
		reports, err := imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{zoneDest(zone + "/m")},
			imagecopy.WithPlatforms([]string{"linux/arm64/v8"}))
		if err != nil || reports[0].Copied != 1 {
			t.Fatalf("%v %+v", err, reports)
		}
		zoneRepo := images.MirrorName(zone+"/m", im.Name)
		if !bytes.Equal(fetchBytes(t, im.Name, im.Digest), fetchBytes(t, zoneRepo, im.Digest)) {
			t.Fatal("index differs")
		}
		hubRepo, _ := testOptions().Remote(im.Name)
		zr, _ := testOptions().Remote(zoneRepo)
		root, _ := hubRepo.Resolve(ctx, im.Digest)
		children, _ := content.Successors(ctx, hubRepo, root)
		for i, ch := range children {
			ok, err := zr.Exists(ctx, ch)
			if want := i == 1; ok != want || err != nil {
				t.Errorf("platform %d at the zone: %v %v, want %v", i, ok, err, want)
			}
		}
	})
	z := testregistry.New(t, testregistry.Referrers)
	reports, err := imagecopy.Copy(ctx, lock, remoteOpener(t), []imagecopy.Destination{zoneDest(z.Host + "/m")},
		imagecopy.WithPlatforms([]string{"windows/amd64"}))
	if r := reports[0].Images[0].Reason; err == nil || !strings.Contains(r, "no windows/amd64 manifest") || !strings.Contains(r, "linux/amd64") {
		t.Fatalf("unknown platform: %v, reason %q", err, r)
	}
}

// TestMirrorNamePort: a port in the image's host cannot stand in a repository path.
func TestMirrorNamePort(t *testing.T) {
	for in, want := range map[string]string{
		"docker.io/library/nginx":  "zone/m/docker.io/library/nginx",
		"127.0.0.1:5000/acme/web":  "zone/m/127.0.0.1_5000/acme/web",
		"registry.local:443/a/b/c": "zone/m/registry.local_443/a/b/c",
	} {
		if got := images.MirrorName("zone/m/", in); got != want {
			t.Errorf("MirrorName(%q) = %q, want %q", in, got, want)
		}
		if _, err := registry.ParseReference(images.MirrorName("zone.example.com/m", in) + "@sha256:" + strings.Repeat("a", 64)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
}

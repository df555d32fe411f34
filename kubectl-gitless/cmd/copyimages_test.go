package cmd

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	ggcrremote "github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// publishWithImages pushes n random multi-platform images to hub, publishes the plain example with
// their lock as hub/platform/app:1.0.0, and returns the lock.
func publishWithImages(t *testing.T, hub *testregistry.Registry, n int) images.Lock {
	t.Helper()
	var lock images.Lock
	for i := range n {
		idx, err := random.Index(256, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		repo := hub.Host + "/acme/img" + string(rune('a'+i))
		ref, _ := name.ParseReference(repo+":1.0", name.Insecure)
		if err := ggcrremote.WriteIndex(ref, idx); err != nil {
			t.Fatal(err)
		}
		d, _ := idx.Digest()
		lock.Images = append(lock.Images, images.Image{Ref: repo + ":1.0", Name: repo, Tag: "1.0", Digest: d.String()})
	}
	enc, err := lock.Encode()
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, "publish", exampleCopy(t, "plain"), hub.Host+"/platform/app:1.0.0", "-q", "--annotation", images.AnnotationLock+"="+enc)
	return lock
}

func imagesAt(t *testing.T, prefix string, lock images.Lock) {
	t.Helper()
	o := registry.DefaultOptions()
	o.PlainHTTP = true
	for _, im := range lock.Images {
		repo, err := o.Remote(images.MirrorName(prefix, im.Name))
		if err != nil {
			t.Fatal(err)
		}
		d, err := repo.Resolve(context.Background(), im.Tag)
		if err != nil || d.Digest.String() != im.Digest {
			t.Fatalf("%s at %s: %v %v", im.Name, prefix, d.Digest, err)
		}
	}
}

// TestCopyImagesCLI: copy --images brings the locked images to the zone before the artifact, reports
// them per destination (-o json), a re-run finds them present, and an air gap through an OCI layout
// places them at a second zone.
func TestCopyImagesCLI(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	lock := publishWithImages(t, hub, 2)
	zone := testregistry.New(t, testregistry.Distribution)
	out := mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", zone.Host+"/platform/app", "--images", zone.Host+"/mirror", "-o", "json")
	var res copyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(res.Images) != 1 || res.Images[0].Copied != 2 || len(res.Copies) != 1 {
		t.Fatalf("result %s", out)
	}
	imagesAt(t, zone.Host+"/mirror", lock)
	again := mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", zone.Host+"/platform/app", "--images", zone.Host+"/mirror")
	if !strings.Contains(again, "0 copied, 2 already present, 0 refused, 0 failed") || !strings.Contains(again, "nothing written") {
		t.Fatalf("re-run: %q", again)
	}

	dir := filepath.Join(t.TempDir(), "transfer")
	mustRun(t, "copy", hub.Host+"/platform/app:1.0.0", "oci-layout:"+dir)
	zone2 := testregistry.New(t, testregistry.Referrers)
	hub.Close() // the other side of the air gap cannot reach the hub
	out = mustRun(t, "copy", "oci-layout:"+dir+":1.0.0", zone2.Host+"/platform/app", "--images", zone2.Host+"/mirror")
	if !strings.Contains(out, "2 copied") {
		t.Fatalf("from the layout: %q", out)
	}
	imagesAt(t, zone2.Host+"/mirror", lock)
}

// TestCopyVerifyImagesCLI: --verify-images refuses the unsigned image, names it, exits non-zero and
// leaves the artifact out of that zone; the signed image is there.
func TestCopyVerifyImagesCLI(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	lock := publishWithImages(t, hub, 2)
	kp := sigtest.NewKeyPair(t, t.TempDir(), "img")
	o := registry.DefaultOptions()
	o.PlainHTTP = true
	repo, _ := o.Remote(lock.Images[0].Name)
	if _, _, err := signature.SignReference(context.Background(), repo, kp.Signer, lock.Images[0].Name, lock.Images[0].Digest); err != nil {
		t.Fatal(err)
	}
	zone := testregistry.New(t, testregistry.Referrers)
	out, _, err := run(t, append([]string{"copy", hub.Host + "/platform/app:1.0.0", zone.Host + "/platform/app",
		"--images", zone.Host + "/m", "--verify-images", "--key", kp.Pub}, registryFlags(t)...)...)
	if err == nil || ExitCode(err) == 0 {
		t.Fatalf("exit 0 with an unsigned image:\n%s", out)
	}
	if !strings.Contains(out, "1 copied, 0 already present, 1 refused") || !strings.Contains(out, "refused "+lock.Images[1].Ref) ||
		!strings.Contains(out, "artifact not copied") {
		t.Fatalf("output %q", out)
	}
	zrepo, _ := o.Remote(zone.Host + "/platform/app")
	if _, err := zrepo.Resolve(context.Background(), "1.0.0"); err == nil {
		t.Fatal("the artifact was copied to a zone that lacks one of its images")
	}
}

// TestCopyImagesUsage: --images without a lock, and a count of prefixes that does not match the
// registry destinations, are usage errors that say what to do.
func TestCopyImagesUsage(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	mustRun(t, "publish", exampleCopy(t, "plain"), hub.Host+"/platform/app:1.0.0", "-q")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{hub.Host + "/z/app", "--images", hub.Host + "/m"}, "publish it with its images locked, or drop --images"},
		{[]string{hub.Host + "/z/app", hub.Host + "/y/app", "--images", hub.Host + "/m"}, "one per registry destination"},
		{[]string{hub.Host + "/z/app", "--images", hub.Host + "/m", "--key", "k.pub"}, "add --verify-images"},
	} {
		_, _, err := run(t, append(append([]string{"copy", hub.Host + "/platform/app:1.0.0"}, tc.args...), registryFlags(t)...)...)
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want usage naming %q", tc.args, ExitCode(err), err, tc.want)
		}
	}
}

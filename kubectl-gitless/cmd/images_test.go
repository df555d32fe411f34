package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/internal/imagetest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// TestImagesCLI: publish locks the images (multi-platform index, init container), inspect shows the
// lock in text and JSON, render with an images mirror points them at the zone's copy by digest, and
// --check-images names the locked digest the mirror lacks.
func TestImagesCLI(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	zone := testregistry.New(t, testregistry.Distribution)
	web := imagetest.PushIndex(t, hub.Host+"/acme/web:1.0", "linux/amd64", "linux/arm64")
	imagetest.PushImage(t, hub.Host+"/acme/init:1")
	dir := t.TempDir()
	tree := filepath.Join(dir, "app")
	must(t, os.MkdirAll(tree, 0o755))
	must(t, os.WriteFile(filepath.Join(tree, "deploy.yaml"), []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: `+hub.Host+`/acme/init:1}]
      containers: [{name: web, image: `+hub.Host+`/acme/web:1.0}]
`), 0o644))
	t.Setenv("COSIGN_PASSWORD", "cli")
	if _, errOut, err := run(t, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign")); err != nil {
		t.Fatalf("generate-key-pair: %v\n%s", err, errOut)
	}
	app := hub.Host + "/platform/app:1.0"
	mustRun(t, "publish", tree, app, "--images=resolve", "--sign", "--key", filepath.Join(dir, "cosign.key"), "-q")

	text := mustRun(t, "inspect", app, "--no-files")
	for _, want := range []string{`Images lock:`, `  ` + regexp.QuoteMeta(hub.Host+"/acme/web:1.0") + ` +` + web + ` +linux/amd64,linux/arm64$`,
		`    Deployment apps/web +spec\.template\.spec\.initContainers\[init\]\.image$`} {
		if !matches(want, text) {
			t.Errorf("inspect lacks %q:\n%s", want, text)
		}
	}
	var in artifact.Inspection
	must(t, json.Unmarshal([]byte(mustRun(t, "inspect", app, "--no-files", "-o", "json")), &in))
	if in.Images == nil || len(in.Images.Images) != 2 || in.Images.Images[1].Digest != web {
		t.Fatalf("inspect -o json images: %+v", in.Images)
	}

	mirror := zone.Host + "/mirror"
	policy := filepath.Join(dir, "config.yaml")
	must(t, os.WriteFile(policy, []byte("apiVersion: gitless.dev/v1alpha1\nkind: Config\nimages: {mirror: \""+mirror+"\", plainHTTP: true}\n"+
		"registries:\n  - host: \""+hub.Host+"\"\n    plainHTTP: true\npolicies:\n  - match: \""+hub.Host+"/platform/**\"\n    keys: [\""+
		filepath.Join(dir, "cosign.pub")+"\"]\n"), 0o644))
	// only web reaches the zone: init is missing there
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	src, _ := opts.Remote(hub.Host + "/acme/web")
	dst, _ := opts.Remote(images.MirrorName(mirror, hub.Host+"/acme/web"))
	if _, err := oras.Copy(context.Background(), src, web, dst, web, oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := run(t, append([]string{"render", app, "--policy", policy, "--check-images"}, registryFlags(t)...)...)
	if !strings.Contains(out, "image: "+images.MirrorName(mirror, hub.Host+"/acme/web")+"@"+web) {
		t.Errorf("render does not point web at the mirror:\n%s", out)
	}
	if err == nil || !strings.Contains(errOut, "missing at the mirror: "+images.MirrorName(mirror, hub.Host+"/acme/init")+"@") ||
		strings.Contains(errOut, "acme/web@") {
		t.Errorf("--check-images: %v\n%s", err, errOut)
	}
	if _, _, err := run(t, "publish", tree, app, "--images=bogus"); ExitCode(err) != ExitUsage {
		t.Errorf("--images=bogus: exit %d %v", ExitCode(err), err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

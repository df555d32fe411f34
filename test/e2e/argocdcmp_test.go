package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"

	"github.com/gitless-dev/gitless/pkg/config"
)

// The real argocd-cmp under Argo CD's cmp-server (issue 5). Every test skips, saying so, while
// ../../argocd-cmp/main.go does not exist. The cases that call notWritten are placeholders: fill each
// in (in-process registries on 127.0.0.1, artifacts published and signed with pkg/, a GITLESS_CONFIG
// written per test) and delete the call.

// startRealCMPServer starts the cmp-server with the real argocd-cmp and a config file (the sidecar's
// GITLESS_CONFIG).
func startRealCMPServer(t *testing.T, configYAML string) *cmpServer {
	t.Helper()
	bin := realPluginDir(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(configYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path); err != nil {
		t.Fatalf("test config does not load: %v", err)
	}
	return startCMPServer(t, pluginYAML, bin, map[string]string{
		"GITLESS_CONFIG": path,
		// The sidecar's DOCKER_CONFIG: an empty directory, so no credentials of this machine leak in.
		"DOCKER_CONFIG": t.TempDir(),
		// Its own cache per server, as each sidecar has its own /tmp volume.
		"GITLESS_CACHE_DIR": filepath.Join(t.TempDir(), "cache"), // created 0700 by the sidecar, whatever the umask
	})
}

const emptyConfig = "apiVersion: gitless.dev/v1alpha1\nkind: Config\n"

// TestArgoCDCMPParametersAnnouncement: the Parameters tab lists what issue 5 promises, even with no
// artifact named yet.
func TestArgoCDCMPParametersAnnouncement(t *testing.T) {
	s := startRealCMPServer(t, emptyConfig)
	a := guestbook()
	a.RepoURL, a.TargetRevision, a.Revision = "https://git.example.com/deploy.git", "main", "0123456789abcdef0123456789abcdef01234567"
	ann, err := s.Parameters(context.Background(), t, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range announcedParameters {
		if !slices.ContainsFunc(ann, func(p *announcement) bool { return p.Name == n }) {
			t.Errorf("announcement lacks %q", n)
		}
	}
}

// TestArgoCDCMPGenerateNoArtifact: neither GITLESS_REF/ref nor an OCI source → the call fails and no
// manifests come back.
func TestArgoCDCMPGenerateNoArtifact(t *testing.T) {
	s := startRealCMPServer(t, emptyConfig)
	a := guestbook()
	a.RepoURL, a.TargetRevision, a.Revision = "https://git.example.com/deploy.git", "main", "0123456789abcdef0123456789abcdef01234567"
	manifests, err := s.Generate(context.Background(), t, a)
	if err == nil || len(manifests) != 0 {
		t.Fatalf("manifests=%d err=%v, want an error and none", len(manifests), err)
	}
	t.Logf("error as Argo CD shows it: %v", err)
}

// naming is one of the ways an Application names the artifact.
type naming string

const (
	ociSource naming = "oci-source" // repoURL oci://hub/repo, revision = the digest Argo CD resolved
	envRef    naming = "env-ref"    // plugin.env GITLESS_REF=hub/repo:tag
	paramRef  naming = "param-ref"  // plugin parameter ref=hub/repo@digest
)

// appFor builds the Application for pinned (hub/repo@sha256:...) named the given way. For an OCI source
// the streamed directory holds a decoy: Argo CD's own unverified extraction, which must be ignored.
func appFor(t *testing.T, pinned, tag string, n naming) app {
	t.Helper()
	repo, dgst, _ := strings.Cut(pinned, "@")
	a := guestbook()
	a.Name, a.Namespace = "gb", "apps"
	switch n {
	case ociSource:
		a.RepoURL, a.TargetRevision, a.Revision = "oci://"+repo, tag, dgst
		a.RepoDir = t.TempDir()
		decoy := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: decoy-unverified\n"
		if err := os.WriteFile(filepath.Join(a.RepoDir, "decoy.yaml"), []byte(decoy), 0o644); err != nil {
			t.Fatal(err)
		}
	case envRef:
		a.RepoURL, a.TargetRevision, a.Revision = "https://git.example.com/deploy.git", "main", "0123456789abcdef0123456789abcdef01234567"
		a.PluginEnv = v1alpha1.Env{{Name: "GITLESS_REF", Value: repo + ":" + tag}}
	case paramRef:
		a.RepoURL, a.TargetRevision, a.Revision = "https://git.example.com/deploy.git", "main", "0123456789abcdef0123456789abcdef01234567"
		a.Parameters = v1alpha1.ApplicationSourcePluginParameters{stringParam("ref", pinned)}
	}
	return a
}

func stringParam(name, v string) v1alpha1.ApplicationSourcePluginParameter {
	return v1alpha1.ApplicationSourcePluginParameter{Name: name, String_: &v}
}

func arrayParam(name string, v ...string) v1alpha1.ApplicationSourcePluginParameter {
	return v1alpha1.ApplicationSourcePluginParameter{Name: name, OptionalArray: &v1alpha1.OptionalArray{Array: v}}
}

// TestArgoCDCMPSigned: plain, Kustomize and Helm artifacts, published and signed with kubectl gitless,
// replicated to a zone registry, rendered through Argo CD's cmp-server by all three ways of naming them;
// the output equals `kubectl gitless render` of the same artifact with the same inputs.
func TestArgoCDCMPSigned(t *testing.T) {
	w := newWorld(t)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	cfg := w.config(w.hub, w.zone, w.keys, "")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	pinned := map[string]string{
		"plain":     w.publish(examplesDir("plain"), "platform/plain", "1.4.0", true),
		"kustomize": w.publish(examplesDir("kustomize/overlays/zone-a"), "platform/kustomize", "1.4.0", true),
		"helm":      w.publish(examplesDir("helm/guestbook"), "platform/guestbook", "0.1.0", true),
	}
	tags := map[string]string{"plain": "1.4.0", "kustomize": "1.4.0", "helm": "0.1.0"}
	want := map[string]string{"plain": "Deployment/", "kustomize": "PodDisruptionBudget/guestbook", "helm": "CustomResourceDefinition/guestbooks.example.com"}
	s := startRealCMPServer(t, cfg)
	for _, kind := range []string{"plain", "kustomize", "helm"} {
		for _, n := range []naming{ociSource, envRef, paramRef} {
			t.Run(kind+"/"+string(n), func(t *testing.T) {
				a := appFor(t, pinned[kind], tags[kind], n)
				renderArgs := []string{"render", pinned[kind], "--policy", cfgPath, "--release", a.Name, "--namespace", a.Namespace,
					"--kube-version", a.KubeVersion, "--api-versions", strings.Join(a.APIVersions, ",")}
				switch kind {
				case "helm":
					a.Parameters = append(a.Parameters, stringParam("values", "replicaCount: 5"), arrayParam("set", "greeting=hi"))
					renderArgs = append(renderArgs, "--values-yaml", "replicaCount: 5", "--set", "greeting=hi")
				case "kustomize":
					// the overlay already renamed nginx; Argo CD's images apply on top, to the name it gave
					img := "registry.zone-a.example.com/mirror/nginx=mirror.zone-a.example.com/nginx:1.27.1"
					a.Parameters = append(a.Parameters, arrayParam("images", img))
					renderArgs = append(renderArgs, "--image", img)
				}
				got, err := s.Generate(context.Background(), t, a)
				if err != nil {
					t.Fatalf("GenerateManifest: %v", err)
				}
				objs := objects(t, got)
				if list := names(objs); !strings.Contains(list, want[kind]) || strings.Contains(list, "decoy") {
					t.Fatalf("manifests: %s", list)
				}
				local := objects(t, []string{w.kg(renderArgs...)})
				if strings.Join(objs, "---\n") != strings.Join(local, "---\n") {
					t.Fatalf("sidecar and kubectl gitless render differ:\nsidecar: %s\nrender:  %s", names(objs), names(local))
				}
				if kind == "helm" && !strings.Contains(strings.Join(objs, ""), "replicas: 5") {
					t.Fatal("helm values parameter not applied")
				}
				if kind == "kustomize" && !strings.Contains(strings.Join(objs, ""), "mirror.zone-a.example.com/nginx:1.27.1") {
					t.Fatal("kustomize images parameter not applied")
				}
			})
		}
	}
}

// TestArgoCDCMPForeignFormats: a Flux artifact (flux.config / flux.content layer, pushed by oras the way
// `flux push artifact` lays it out) and an `oras push` directory artifact, each signed with kubectl
// gitless, render through GITLESS_REF.
func TestArgoCDCMPForeignFormats(t *testing.T) {
	w := newWorld(t)
	oras := peerBin(t, "oras")
	work := t.TempDir()
	// oras push of a directory: a tar+gzip layer with the unpack annotation, titled "app"
	app := filepath.Join(work, "app")
	copyTree(t, examplesDir("plain"), app)
	w.runIn(work, oras, "push", "--plain-http", w.hub+"/platform/oras:1.0.0", "app")
	// Flux: config application/vnd.cncf.flux.config.v1+json, one flux.content tar+gzip layer
	flux := filepath.Join(work, "flux")
	copyTree(t, examplesDir("plain"), flux)
	tgz := filepath.Join(work, "content.tgz")
	w.runIn(work, "tar", "-czf", tgz, "-C", flux, ".")
	if err := os.WriteFile(filepath.Join(work, "flux-config.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.runIn(work, oras, "push", "--plain-http", "--config", "flux-config.json:application/vnd.cncf.flux.config.v1+json",
		w.hub+"/platform/flux:1.0.0", "content.tgz:application/vnd.cncf.flux.content.v1.tar+gzip")
	// oras push of single files: one layer per file, named by its title
	w.runIn(app, oras, "push", "--plain-http", w.hub+"/platform/orasfiles:1.0.0", "configmap.yaml", "deployment.yaml", "service.yaml")
	// a chart packaged and pushed by helm itself
	helm := peerBin(t, "helm")
	w.runIn(work, helm, "package", examplesDir("helm/guestbook"), "-d", work)
	w.runIn(work, helm, "push", filepath.Join(work, "guestbook-0.1.0.tgz"), "oci://"+w.hub+"/platform", "--plain-http")
	for _, repo := range []string{"platform/oras:1.0.0", "platform/flux:1.0.0", "platform/orasfiles:1.0.0", "platform/guestbook:0.1.0"} {
		w.kg("sign", w.hub+"/"+repo, "--plain-http", "--key", filepath.Join(w.keys, "cosign.key"))
	}
	s := startRealCMPServer(t, w.config(w.hub, "", w.keys, ""))
	cases := map[string]string{"oras": "platform/oras:1.0.0", "flux": "platform/flux:1.0.0",
		"orasfiles": "platform/orasfiles:1.0.0", "helm-push": "platform/guestbook:0.1.0"}
	for format, repo := range cases {
		t.Run(format, func(t *testing.T) {
			name, tag, _ := strings.Cut(repo, ":")
			a := appFor(t, w.hub+"/"+name+"@sha256:x", tag, envRef)
			got, err := s.Generate(context.Background(), t, a)
			if err != nil {
				t.Fatalf("GenerateManifest: %v", err)
			}
			if list := names(objects(t, got)); !strings.Contains(list, "Deployment/") || !strings.Contains(list, "Service/") {
				t.Fatalf("manifests: %s", list)
			}
		})
	}
}

// TestArgoCDCMPRefuses: each refusal makes GenerateManifest fail with an error that names the cause and
// returns no manifests.
func TestArgoCDCMPRefuses(t *testing.T) {
	w := newWorld(t)
	signed := w.publish(examplesDir("plain"), "platform/app", "1.0.0", true)
	unsigned := w.publish(examplesDir("plain"), "platform/unsigned", "1.0.0", false)
	other := w.publish(examplesDir("plain"), "other/app", "1.0.0", true)
	// the hub moves 1.0.0 of platform/moved onto 2.0.0's digest, signed for 2.0.0 only
	w.publish(examplesDir("plain"), "platform/moved", "1.0.0", true)
	v2 := w.publish(examplesDir("plain/service.yaml"), "platform/moved", "2.0.0", true)
	w.run(peerBin(t, "oras"), "tag", "--plain-http", v2, "1.0.0")
	otherKeys := t.TempDir()
	w.kg("generate-key-pair", "--output-key-prefix", filepath.Join(otherKeys, "other"))
	tamperer := startProxy(t, w.hub)
	tamperer.set("lie")
	tamperer.only.Store(layerDigest(t, w, signed)) // the content layer only: signatures stay intact

	cases := []struct {
		name, cfg, ref, want string
	}{
		{"unsigned", w.config(w.hub, "", w.keys, ""), strings.Split(unsigned, "@")[0] + ":1.0.0", "no signature"},
		{"wrong-key", w.config(w.hub, "", otherKeys, ""), strings.Split(signed, "@")[0] + ":1.0.0", "no valid signature"},
		{"no-policy", w.config(w.hub, "", w.keys, ""), strings.Split(other, "@")[0] + ":1.0.0", "no trust policy"},
		{"moved-tag", w.config(w.hub, "", w.keys, ""), w.hub + "/platform/moved:1.0.0", "binds this tag"},
		{"tampered-blob", w.config(tamperer.Host, "", w.keys, ""),
			tamperer.Host + "/platform/app:1.0.0", "digest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startRealCMPServer(t, c.cfg)
			a := appFor(t, "x@sha256:x", "", envRef)
			a.PluginEnv = v1alpha1.Env{{Name: "GITLESS_REF", Value: c.ref}}
			got, err := s.Generate(context.Background(), t, a)
			if err == nil || len(got) != 0 {
				t.Fatalf("manifests=%d err=%v, want an error and none", len(got), err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error does not say %q: %v", c.want, err)
			}
			t.Logf("Argo CD shows: %v", err)
		})
	}
}

// TestArgoCDCMPLyingMirror: a zone mirror that serves other bytes is skipped and the hub's verified
// content renders; with the hub down and an honest mirror, a pinned digest renders from the mirror.
func TestArgoCDCMPLyingMirror(t *testing.T) {
	w := newWorld(t)
	pinned := w.publish(examplesDir("kustomize/overlays/zone-a"), "platform/kustomize", "1.4.0", true)
	mirror := startProxy(t, w.zone)
	hub := startProxy(t, w.hub)
	cfg := w.config(hub.Host, mirror.Host, w.keys, "")
	s := startRealCMPServer(t, cfg)
	ref := hub.Host + "/platform/kustomize"
	_, dgst, _ := strings.Cut(pinned, "@")

	mirror.set("lie")
	a := appFor(t, ref+"@"+dgst, "1.4.0", envRef)
	got, err := s.Generate(context.Background(), t, a)
	if err != nil || !strings.Contains(names(objects(t, got)), "PodDisruptionBudget/guestbook") {
		t.Fatalf("lying mirror: manifests=%d err=%v", len(got), err)
	}

	mirror.set("")
	hub.set("down")
	a = appFor(t, ref+"@"+dgst, "", paramRef)
	got, err = s.Generate(context.Background(), t, a)
	if err != nil || len(got) == 0 {
		t.Fatalf("hub down, pinned digest from the mirror: manifests=%d err=%v", len(got), err)
	}
}

// TestArgoCDCMPDeadline: a registry that stalls makes generate fail inside the configured total timeout
// (well inside Argo CD's 60 s), with no manifests; a cached, pinned digest then renders with every
// registry stopped. Logs cold and warm generate times.
func TestArgoCDCMPDeadline(t *testing.T) {
	w := newWorld(t)
	pinned := w.publish(examplesDir("helm/guestbook"), "platform/guestbook", "0.1.0", true)
	hub := startProxy(t, w.hub)
	_, dgst, _ := strings.Cut(pinned, "@")
	cfg := w.config(hub.Host, "", w.keys, "limits: {totalTimeout: 5s, requestTimeout: 2s}\ncache: {dir: "+t.TempDir()+"}\n")
	s := startRealCMPServer(t, cfg)
	a := appFor(t, hub.Host+"/platform/guestbook@"+dgst, "", paramRef)

	hub.set("stall")
	start := time.Now()
	got, err := s.Generate(context.Background(), t, a)
	stalled := time.Since(start)
	if err == nil || len(got) != 0 {
		t.Fatalf("stalled registry: manifests=%d err=%v", len(got), err)
	}
	if stalled > 30*time.Second {
		t.Fatalf("stalled generate took %v, over the budget", stalled)
	}
	hub.set("")
	start = time.Now()
	if _, err := s.Generate(context.Background(), t, a); err != nil {
		t.Fatalf("cold generate: %v", err)
	}
	cold := time.Since(start)
	hub.set("down")
	start = time.Now()
	if got, err = s.Generate(context.Background(), t, a); err != nil || len(got) == 0 {
		t.Fatalf("warm generate with the registry down: manifests=%d err=%v", len(got), err)
	}
	t.Logf("generate through Argo CD's cmp-server: stalled registry gave up after %v; cold %v; warm (cached, registry down) %v",
		stalled.Round(time.Millisecond), cold.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// layerDigest reads the content layer's digest of ref with kubectl gitless inspect -o json.
func layerDigest(t *testing.T, w *world, ref string) string {
	t.Helper()
	var in struct {
		Layer struct {
			Digest string `json:"digest"`
		} `json:"layer"`
	}
	if err := json.Unmarshal([]byte(w.kg("inspect", ref, "--plain-http", "--no-files", "-o", "json")), &in); err != nil || in.Layer.Digest == "" {
		t.Fatalf("inspect %s: %v", ref, err)
	}
	return in.Layer.Digest
}

// TestArgoCDCMPCosignSigned: artifacts signed by the cosign CLI itself (legacy .sig tag, and the
// Sigstore bundle with --new-bundle-format), with no gitless tag binding, are refused by tag under a
// default policy (no signature binds the tag), render by digest, and render by tag under a policy
// that sets allowUnboundTags.
func TestArgoCDCMPCosignSigned(t *testing.T) {
	w := newWorld(t)
	cosign := peerBin(t, "cosign")
	home := t.TempDir()
	w.env = append(w.env, "HOME="+home, "TUF_ROOT="+filepath.Join(home, "tuf"))
	refs, pinnedRefs := map[string]string{}, map[string]string{}
	for _, format := range []string{"legacy", "bundle"} {
		pinned := w.publish(examplesDir("plain"), "platform/cosign-"+format, "1.0.0", false)
		args := []string{"sign", "--key", filepath.Join(w.keys, "cosign.key"), "--tlog-upload=false", "-y",
			"--allow-insecure-registry", "--allow-http-registry"}
		if format == "bundle" {
			args = append(args, "--new-bundle-format")
		}
		w.runIn(home, cosign, append(args, pinned)...)
		refs[format] = strings.Split(pinned, "@")[0] + ":1.0.0"
		pinnedRefs[format] = pinned
	}
	// One cmp-server at a time: the harness hands the test process's environment (GITLESS_CONFIG, set
	// by the last server started) to the plugin, so the strict checks run before the lax server starts.
	strict := startRealCMPServer(t, w.config(w.hub, "", w.keys, ""))
	for format, ref := range refs {
		t.Run(format+"/default", func(t *testing.T) {
			a := appFor(t, "x@sha256:x", "", envRef)
			a.PluginEnv = v1alpha1.Env{{Name: "GITLESS_REF", Value: ref}}
			if got, err := strict.Generate(context.Background(), t, a); err == nil || len(got) != 0 {
				t.Fatalf("default policy accepted an unbound %s tag: manifests=%d err=%v", format, len(got), err)
			}
			a.PluginEnv = v1alpha1.Env{{Name: "GITLESS_REF", Value: pinnedRefs[format]}}
			if got, err := strict.Generate(context.Background(), t, a); err != nil || !strings.Contains(names(objects(t, got)), "Deployment/") {
				t.Fatalf("cosign-signed %s by digest: manifests=%d err=%v", format, len(got), err)
			}
		})
	}
	lax := startRealCMPServer(t, strings.Replace(w.config(w.hub, "", w.keys, ""), "    keys:", "    allowUnboundTags: true\n    keys:", 1))
	for format, ref := range refs {
		t.Run(format+"/allowUnboundTags", func(t *testing.T) {
			a := appFor(t, "x@sha256:x", "", envRef)
			a.PluginEnv = v1alpha1.Env{{Name: "GITLESS_REF", Value: ref}}
			got, err := lax.Generate(context.Background(), t, a)
			if err != nil || !strings.Contains(names(objects(t, got)), "Deployment/") {
				t.Fatalf("cosign-signed %s under allowUnboundTags: manifests=%d err=%v", format, len(got), err)
			}
		})
	}
}

package artifact_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/peers"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/artifact"
)

// Interop with the peer CLIs at the versions scripts/install-tools.sh pins (oras v1.3.6, helm v3.22.0).
// Missing CLIs skip these tests unless GITLESS_PEERS=required.

// helmEnv keeps helm's config, cache and registry logins inside the test.
func helmEnv(t *testing.T) []string {
	d := t.TempDir()
	return []string{"HELM_CONFIG_HOME=" + filepath.Join(d, "config"), "HELM_CACHE_HOME=" + filepath.Join(d, "cache"),
		"HELM_DATA_HOME=" + filepath.Join(d, "data"), "HELM_REGISTRY_CONFIG=" + filepath.Join(d, "registry.json"),
		"DOCKER_CONFIG=" + d, "HOME=" + d}
}

func orasEnv(t *testing.T) []string {
	d := t.TempDir()
	return []string{"DOCKER_CONFIG=" + d, "HOME=" + d}
}

func TestInteropOrasPullsWhatWePublish(t *testing.T) {
	peers.Bin(t, "oras")
	cases := []struct {
		name, path, format string
		tree               string // the tree oras must extract, under examples/
	}{
		{"plain image form", "plain", artifact.PublishImage, "plain"},
		{"kustomize overlay", "kustomize/overlays/zone-a", artifact.PublishImage, "kustomize"},
		{"artifact form", "plain", artifact.PublishArtifact, "plain"},
	}
	for _, kind := range testregistry.Kinds {
		for _, tc := range cases {
			t.Run(string(kind)+"/"+tc.name, func(t *testing.T) {
				tg := remoteTarget(t, string(kind), testregistry.New(t, kind), "interop/app")
				if _, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, tc.path), []string{"1.0.0"},
					artifact.PublishOptions{Format: tc.format, Created: fixedCreated}); err != nil {
					t.Fatal(err)
				}
				out := filepath.Join(t.TempDir(), "out")
				peers.Run(t, "", orasEnv(t), "oras", "pull", "--plain-http", tg.ref.WithTag("1.0.0").String(), "-o", out)
				sameTree(t, readTree(t, out), readTree(t, example(t, tc.tree)))
			})
		}
	}
}

func TestInteropHelmTemplatesOurChart(t *testing.T) {
	peers.Bin(t, "helm")
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			// helm wants the repository's last element to be the chart's name
			tg := remoteTarget(t, string(kind), testregistry.New(t, kind), "charts/guestbook")
			if _, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, "helm/guestbook"), nil,
				artifact.PublishOptions{Created: fixedCreated}); err != nil {
				t.Fatal(err)
			}
			out := peers.Run(t, "", helmEnv(t), "helm", "template", "demo", "oci://"+tg.ref.Name(), "--version", "0.1.0", "--plain-http")
			for _, want := range []string{"kind: Deployment", "kind: Service", "name: demo-guestbook"} {
				if !strings.Contains(out, want) {
					t.Errorf("helm template output lacks %q:\n%s", want, out)
				}
			}
			pulled := t.TempDir()
			peers.Run(t, pulled, helmEnv(t), "helm", "pull", "oci://"+tg.ref.Name(), "--version", "0.1.0", "--plain-http")
			if _, err := os.Stat(filepath.Join(pulled, "guestbook-0.1.0.tgz")); err != nil {
				t.Errorf("helm pull: %v", err)
			}
		})
	}
}

func TestInteropWeReadOrasPush(t *testing.T) {
	peers.Bin(t, "oras")
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind)+"/directory", func(t *testing.T) {
			tg := remoteTarget(t, string(kind), testregistry.New(t, kind), "oras/dir")
			work := t.TempDir()
			copyTree(t, example(t, "plain"), filepath.Join(work, "deploy"), 0o644, 0o755, fixedCreated)
			peers.Run(t, work, orasEnv(t), "oras", "push", "--plain-http", tg.ref.WithTag("v1").String(), "deploy/")
			in, err := artifact.Inspect(ctx(t), tg.repo, tg.ref.WithTag("v1"), artifact.InspectOptions{Files: true})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if in.Format != artifact.FormatOras || in.RenderPath != "deploy" || len(in.Files) == 0 {
				t.Errorf("inspection: format %q render path %q files %v", in.Format, in.RenderPath, in.Files)
			}
			dir := filepath.Join(t.TempDir(), "out")
			if _, err := artifact.Pull(ctx(t), tg.repo, tg.ref.WithTag("v1"), dir, artifact.MaterializeOptions{}); err != nil {
				t.Fatalf("Pull: %v", err)
			}
			sameTree(t, readTree(t, filepath.Join(dir, "deploy")), readTree(t, example(t, "plain")))
		})
		t.Run(string(kind)+"/files", func(t *testing.T) {
			tg := remoteTarget(t, string(kind), testregistry.New(t, kind), "oras/files")
			work := t.TempDir()
			copyTree(t, example(t, "plain"), work, 0o644, 0o755, fixedCreated)
			peers.Run(t, work, orasEnv(t), "oras", "push", "--plain-http", tg.ref.WithTag("v1").String(), "configmap.yaml", "service.yaml")
			in, err := artifact.Inspect(ctx(t), tg.repo, tg.ref.WithTag("v1"), artifact.InspectOptions{Files: true})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if in.Format != artifact.FormatOrasFile || len(in.Files) != 2 {
				t.Errorf("inspection: format %q files %v", in.Format, in.Files)
			}
			dir := filepath.Join(t.TempDir(), "out")
			// only some limits set, as the sidecar's config gives them: the rest keep their defaults
			partial := artifact.MaterializeOptions{Limits: archive.Limits{MaxCompressedSize: 1 << 20, MaxEntries: 10}}
			if _, err := artifact.Pull(ctx(t), tg.repo, tg.ref.WithTag("v1"), dir, partial); err != nil {
				t.Fatalf("Pull: %v", err)
			}
			src := readTree(t, example(t, "plain"))
			sameTree(t, readTree(t, dir), map[string]string{"configmap.yaml": src["configmap.yaml"], "service.yaml": src["service.yaml"]})
		})
	}
}

func TestInteropWeReadHelmPush(t *testing.T) {
	peers.Bin(t, "helm")
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			reg := testregistry.New(t, kind)
			work := t.TempDir()
			env := helmEnv(t)
			peers.Run(t, work, env, "helm", "package", example(t, "helm/guestbook"), "-d", work)
			peers.Run(t, work, env, "helm", "push", filepath.Join(work, "guestbook-0.1.0.tgz"), "oci://"+reg.Host+"/charts", "--plain-http")
			tg := remoteTarget(t, string(kind), reg, "charts/guestbook")
			in, err := artifact.Inspect(ctx(t), tg.repo, tg.ref.WithTag("0.1.0"), artifact.InspectOptions{Files: true})
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if in.Format != artifact.FormatHelm || in.Label != artifact.LabelHelmChart || in.Kind != "helm" {
				t.Errorf("inspection: format %q label %q kind %q", in.Format, in.Label, in.Kind)
			}
			dir := filepath.Join(t.TempDir(), "out")
			if _, err := artifact.Pull(ctx(t), tg.repo, tg.ref.WithTag("0.1.0"), dir, artifact.MaterializeOptions{}); err != nil {
				t.Fatalf("Pull: %v", err)
			}
			src := readTree(t, example(t, "helm/guestbook"))
			got := readTree(t, filepath.Join(dir, "guestbook"))
			// helm package rewrites Chart.yaml files; the rest travels as is
			for _, f := range []string{"values.yaml", "templates/deployment.yaml", "charts/redis/values.yaml", "charts/redis/templates/service.yaml"} {
				if got[f] != src[f] {
					t.Errorf("%s differs from the chart source", f)
				}
			}
		})
	}
}

package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sourceDateEpoch is 2026-01-02T03:04:05Z.
const sourceDateEpoch = "1767323045"

// run drives the root command in-process and returns its stdout, stderr and error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return runStdin(t, "", args...)
}

// runStdin is run with stdin (a --password-stdin password).
func runStdin(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRootCmd(genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut})
	root.SetArgs(offlineImages(args))
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(c)
	return out.String(), errOut.String(), err
}

// offlineImages publishes with --images=off unless the test names --images: the examples name public
// images (nginx, redis) that a test without network cannot resolve; image tests push theirs to 127.0.0.1.
func offlineImages(args []string) []string {
	if len(args) == 0 || args[0] != "publish" {
		return args
	}
	for _, a := range args {
		if a == "--images" || strings.HasPrefix(a, "--images=") {
			return args
		}
	}
	return append(slices.Clone(args), "--images=off")
}

func testStreams() genericiooptions.IOStreams {
	return genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
}

// matches reports whether some line of text matches the regular expression re.
func matches(re, text string) bool {
	return regexp.MustCompile("(?m)^" + re).MatchString(text)
}

// registryFlags keep the tests off the user's docker config and quick to fail.
func registryFlags(t *testing.T) []string {
	return []string{"--plain-http", "--retries", "0", "--registry-config", filepath.Join(t.TempDir(), "config.json")}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := run(t, append(args, registryFlags(t)...)...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut)
	}
	return out
}

// exampleCopy copies examples/REL to a temp directory outside any git checkout, so that Created
// comes from SOURCE_DATE_EPOCH rather than the enclosing commit.
func exampleCopy(t *testing.T, rel string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "..", "examples", filepath.FromSlash(rel))
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// golden compares got (with the registry address replaced by REGISTRY) with testdata/NAME.golden.
func golden(t *testing.T, name, host, got string) {
	t.Helper()
	got = strings.ReplaceAll(got, host, "REGISTRY")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./kubectl-gitless/cmd -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./kubectl-gitless/cmd -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// signLegacy tags a deterministic cosign-style signature for subject under sha256-<hex>.sig.
func signLegacy(t *testing.T, host, repoName, subjectRef string) {
	t.Helper()
	ctx := context.Background()
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	repo, err := opts.Remote(host + "/" + repoName)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := repo.Resolve(ctx, subjectRef)
	if err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"critical":{"image":{"docker-manifest-digest":"` + subject.Digest.String() + `"}}}`)
	layer := content.NewDescriptorFromBytes(artifact.MediaTypeCosignSimpleSign, payload)
	if err := repo.Push(ctx, layer, bytes.NewReader(payload)); err != nil {
		t.Fatal(err)
	}
	cfg := []byte(`{}`)
	cfgDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfg)
	if err := repo.Push(ctx, cfgDesc, bytes.NewReader(cfg)); err != nil {
		t.Fatal(err)
	}
	d, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_0, "", oras.PackManifestOptions{
		Layers: []ocispec.Descriptor{layer}, ConfigDescriptor: &cfgDesc,
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "2026-01-02T03:04:05Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(ctx, d, artifact.LegacyTag(subject, ".sig")); err != nil {
		t.Fatal(err)
	}
}

// TestGolden publishes fixed content with fixed metadata and compares inspect and list output.
func TestGolden(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	reg := testregistry.New(t, testregistry.Referrers)
	meta := []string{"--source", "https://example.com/gitless/config.git", "--revision", "0123456789abcdef0123456789abcdef01234567", "-q"}
	plain := exampleCopy(t, "plain")
	mustRun(t, append([]string{"publish", plain, reg.Host + "/team/app:1.0.0,latest"}, meta...)...)
	mustRun(t, append([]string{"publish", filepath.Join(plain, "service.yaml"), reg.Host + "/team/app:0.9.0"}, meta...)...)
	signLegacy(t, reg.Host, "team/app", "1.0.0")
	mustRun(t, append([]string{"publish", exampleCopy(t, "helm/guestbook"), reg.Host + "/charts/guestbook"}, meta...)...)

	tests := []struct {
		name string
		args []string
	}{
		{"inspect", []string{"inspect", reg.Host + "/team/app:1.0.0"}},
		{"inspect-json", []string{"inspect", reg.Host + "/team/app:1.0.0", "-o", "json"}},
		{"inspect-helm", []string{"inspect", reg.Host + "/charts/guestbook:0.1.0", "--no-files"}},
		{"list", []string{"list", reg.Host + "/team/app"}},
		{"list-all", []string{"list", reg.Host + "/team/app", "--all"}},
		{"list-json", []string{"list", reg.Host + "/team/app", "-o", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, reg.Host, mustRun(t, tt.args...))
		})
	}
}

func TestPublishOutput(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	reg := testregistry.New(t, testregistry.Distribution)
	plain := exampleCopy(t, "plain")

	out, errOut, err := run(t, append([]string{"publish", plain, reg.Host + "/app:1.0.0,latest", "--revision", "r1"}, registryFlags(t)...)...)
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, errOut)
	}
	ref, perr := registry.ParseReference(strings.TrimSpace(out))
	if perr != nil || ref.Digest == "" || ref.Tag != "" || ref.Name() != reg.Host+"/app" || strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout = %q, want only the pinned reference", out)
	}
	for _, tag := range []string{"1.0.0", "latest"} {
		got := mustRun(t, "inspect", reg.Host+"/app:"+tag, "--no-files", "-o", "json")
		var in struct{ Digest string }
		if err := json.Unmarshal([]byte(got), &in); err != nil || in.Digest != ref.Digest.String() {
			t.Errorf("tag %s: digest %q, want %s (%v)", tag, in.Digest, ref.Digest, err)
		}
	}

	out = mustRun(t, "publish", plain, reg.Host+"/app:2.0.0", "--tag", "stable", "--revision", "r1", "-o", "json")
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	for _, k := range []string{"reference", "digest", "mediaType", "size"} {
		if _, ok := res[k]; !ok {
			t.Errorf("-o json has no %q: %s", k, out)
		}
	}
	if res["digest"] != ref.Digest.String() || res["mediaType"] != ocispec.MediaTypeImageManifest || res["size"].(float64) <= 0 {
		t.Errorf("-o json = %s", out)
	}
	list := mustRun(t, "list", reg.Host+"/app", "-o", "json")
	for _, tag := range []string{`"1.0.0"`, `"latest"`, `"2.0.0"`, `"stable"`} {
		if !strings.Contains(list, tag) {
			t.Errorf("list lacks %s:\n%s", tag, list)
		}
	}

	t.Run("pull", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		out := mustRun(t, "pull", reg.Host+"/app:1.0.0", dir)
		if strings.TrimSpace(out) != strings.TrimSpace(ref.String()) {
			t.Errorf("pull stdout = %q", out)
		}
		for _, f := range []string{"configmap.yaml", "deployment.yaml", "service.yaml"} {
			a, _ := os.ReadFile(filepath.Join(plain, f))
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs after pull (%v)", f, err)
			}
		}
	})
	t.Run("oci-layout", func(t *testing.T) {
		layout := filepath.Join(t.TempDir(), "layout")
		out := mustRun(t, "publish", plain, "oci-layout:"+layout+":1.0.0", "--revision", "r1")
		if strings.TrimSpace(out) != "oci-layout:"+layout+"@"+ref.Digest.String() {
			t.Errorf("layout publish = %q, want the same digest as the registry's", out)
		}
		dir := filepath.Join(t.TempDir(), "out")
		mustRun(t, "pull", "oci-layout:"+layout+":1.0.0", dir)
		if _, err := os.Stat(filepath.Join(dir, "service.yaml")); err != nil {
			t.Error(err)
		}
	})
}

// TestExitCodes is the exit-code table per command: 1 for every usage error (flags, arguments, a
// path that does not exist), as kubectl, 3/4/5 for registry failures, and diff's kubectl convention
// (its usage errors exit 2: 1 is "changed").
func TestExitCodes(t *testing.T) {
	open := testregistry.New(t, testregistry.Referrers)
	locked := testregistry.New(t, testregistry.Referrers, testregistry.WithMiddleware(func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "no", http.StatusUnauthorized)
		})
	}))
	closed := testregistry.New(t, testregistry.Referrers)
	closed.Close()
	savedStderr := stderr
	stderr, _ = os.Open(os.DevNull)
	t.Cleanup(func() { stderr = savedStderr })
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	mustRun(t, "publish", exampleCopy(t, "plain"), open.Host+"/app:1", "-q")
	pub := sigtest.NewKeyPair(t, t.TempDir(), "k").Pub
	missingDigest := "@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
	chdir(t, t.TempDir())

	tests := []struct {
		name string
		args []string
		want int
		msg  string
	}{
		{"inspect not found", append([]string{"inspect", open.Host + "/app:nope"}, registryFlags(t)...), ExitNotFound, "check the tag"},
		{"inspect digest not found", append([]string{"inspect", open.Host + "/app" + missingDigest}, registryFlags(t)...), ExitNotFound, "check the digest"},
		{"pull not found", append([]string{"pull", open.Host + "/app:nope", t.TempDir() + "/x"}, registryFlags(t)...), ExitNotFound, "not found"},
		{"list unauthorized", append([]string{"list", locked.Host + "/app"}, registryFlags(t)...), ExitUnauthorized, "unauthorized"},
		{"inspect unreachable", append([]string{"inspect", closed.Host + "/app:1"}, registryFlags(t)...), ExitUnreachable, "unreachable"},
		{"unknown flag", []string{"inspect", "--nope", "x/y:1"}, ExitUsage, "unknown flag"},
		{"missing argument", []string{"publish", "."}, ExitUsage, "accepts 2 arg"},
		{"unknown command", []string{"frobnicate"}, ExitUsage, "unknown command"},
		{"inspect bad reference", []string{"inspect", "Not A Ref"}, ExitUsage, "invalid reference"},
		{"inspect empty tag", []string{"inspect", open.Host + "/app:"}, ExitUsage, "empty tag"},
		{"list -o xml", []string{"list", open.Host + "/app", "-o", "xml"}, ExitUsage, "unknown output format"},
		{"version -o xml", []string{"version", "-o", "xml"}, ExitUsage, "unknown output format"},
		{"generate-key-pair -o xml", []string{"generate-key-pair", "-o", "xml"}, ExitUsage, "unknown output format"},
		{"render -o text", []string{"render", open.Host + "/app:1", "--insecure-ignore-signatures", "-o", "text"}, ExitUsage, "yaml or json"},
		{"publish digest", []string{"publish", ".", open.Host + "/app" + missingDigest}, ExitUsage, "digest"},
		{"publish missing path", []string{"publish", "./nope", open.Host + "/app:1"}, ExitUsage, "no such file or directory"},
		{"publish bad annotation", []string{"publish", ".", open.Host + "/app:1", "-a", "novalue"}, ExitUsage, "key=value"},
		{"sign without key", []string{"sign", open.Host + "/app:1"}, ExitUsage, "--key is required"},
		{"sign with public key", append([]string{"sign", open.Host + "/app:1", "--key", pub}, registryFlags(t)...), ExitUsage, "needs the private key"},
		{"verify no trust", []string{"verify", open.Host + "/app:1"}, ExitUsage, "say whom to trust"},
		{"render no trust", []string{"render", open.Host + "/app:1"}, ExitUsage, "say whom to trust"},
		{"render mistyped dir", []string{"render", "overlays/zone-b"}, ExitUsage, "overlays/zone-b: no such file or directory"},
		{"render dot path with tag", []string{"render", "./overlays/prod:1.0"}, ExitUsage, "no such file or directory"},
		{"render not found", append([]string{"render", open.Host + "/app:nope", "--insecure-ignore-signatures"}, registryFlags(t)...), ExitNotFound, "not found"},
		{"diff mistyped dir", []string{"diff", "../nope", open.Host + "/app:1"}, ExitDiffError, "no such file or directory"},
		{"diff no trust", []string{"diff", open.Host + "/app:1", open.Host + "/app:1"}, ExitDiffError, "say whom to trust"},
		{"diff not found", append([]string{"diff", open.Host + "/app:1", open.Host + "/app:nope", "--insecure-ignore-signatures"}, registryFlags(t)...), ExitNotFound, "not found"},
		{"diff other failure", []string{"diff", "--policy", "/nonexistent/config.yaml", open.Host + "/app:1", open.Host + "/app:1"}, ExitDiffError, "config"},
		{"copy two stdin passwords", []string{"copy", open.Host + "/app:1", open.Host + "/b", "-u", "a", "--password-stdin", "--to-username", "b", "--to-password-stdin"}, ExitUsage, "one password"},
		{"copy to-password without user", []string{"copy", open.Host + "/app:1", open.Host + "/b", "--to-password-stdin"}, ExitUsage, "--to-username"},
		{"copy source without tag", []string{"copy", open.Host + "/app", open.Host + "/b"}, ExitUsage, "tag or digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := run(t, tt.args...)
			if err == nil {
				t.Fatalf("no error; stdout %q", out)
			}
			if got := ExitCode(err); got != tt.want {
				t.Errorf("ExitCode = %d, want %d (%v)", got, tt.want, err)
			}
			if out != "" {
				t.Errorf("stdout not empty on error: %q", out)
			}
			if !strings.Contains(errOut+err.Error(), tt.msg) {
				t.Errorf("error %q / stderr %q does not say %q", err, errOut, tt.msg)
			}
		})
	}
}

// chdir changes the working directory for the test (relative paths in arguments).
func chdir(t *testing.T, dir string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, "version", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version == "" || v.GoVersion != runtime.Version() {
		t.Fatalf("version -o json = %s (%v)", out, err)
	}
	out, _, _ = run(t, "version")
	if !strings.HasPrefix(out, "kubectl-gitless ") {
		t.Errorf("version = %q", out)
	}
}

func TestPublishAnnotationsAndYAML(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", sourceDateEpoch)
	reg := testregistry.New(t, testregistry.Referrers)
	plain := exampleCopy(t, "plain")
	args := append([]string{"publish", plain, reg.Host + "/app:1", "-a", "team=payments", "-a", "org.opencontainers.image.title=pay",
		"--format", "artifact", "--revision", "r1"}, registryFlags(t)...)
	out, errOut, err := run(t, args...)
	if err != nil {
		t.Fatal(err, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr not empty without a terminal: %q", errOut)
	}
	y := mustRun(t, "inspect", strings.TrimSpace(out), "-o", "yaml", "--no-files")
	for _, want := range []string{"team: payments", "org.opencontainers.image.title: pay", "artifactType: " + artifact.ArtifactType, "format: artifact"} {
		if !strings.Contains(y, want) {
			t.Errorf("inspect -o yaml lacks %q:\n%s", want, y)
		}
	}
	if _, _, err := run(t, append([]string{"publish", plain, reg.Host + "/app:2", "-a", "novalue"}, registryFlags(t)...)...); err == nil ||
		!strings.Contains(err.Error(), "key=value") {
		t.Errorf("-a without = : %v", err)
	}
}

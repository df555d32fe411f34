package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/v3/cmpserver/plugin"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/gitless-dev/gitless/pkg/config"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

var manifestsDir = filepath.Join("..", "..", "manifests")

// announcedParameters are the parameters argocd-cmp announces (issue 5); example Applications may
// set only these.
var announcedParameters = []string{"ref", "valueFiles", "values", "set", "releaseName", "namespace", "images"}

// TestPluginYAML decodes plugin.yaml strictly into Argo CD's own PluginConfig, so a misspelt or
// unsupported field (argocd-cm's lockRepo, say) fails here instead of being ignored by the cmp-server.
func TestPluginYAML(t *testing.T) {
	data, err := os.ReadFile(pluginYAML)
	if err != nil {
		t.Fatal(err)
	}
	var cfg plugin.PluginConfig
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		t.Fatalf("plugin.yaml has fields Argo CD does not know: %v", err)
	}
	if err := plugin.ValidatePluginConfig(cfg); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"apiVersion", cfg.APIVersion, "argoproj.io/v1alpha1"},
		{"name", cfg.Metadata.Name + "-" + cfg.Spec.Version, "gitless-v1"},
		{"generate", cfg.Spec.Generate.Command, []string{pluginBinary, "generate"}},
		{"parameters.dynamic", cfg.Spec.Parameters.Dynamic.Command, []string{pluginBinary, "parameters"}},
		{"discover defined", cfg.Spec.Discover.IsDefined(), false},
		{"init", len(cfg.Spec.Init.Command), 0},
		{"preserveFileMode", cfg.Spec.PreserveFileMode, false},
		{"provideGitCreds", cfg.Spec.ProvideGitCreds, false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestKustomizeBuild builds every kustomization under manifests/ the way `kustomize build` does
// (root-only load restrictor, no plugins) and checks the ones it knows. Components cannot be built
// alone; they are built through the overlays that use them.
func TestKustomizeBuild(t *testing.T) {
	checks := map[string]func(*testing.T, resmap.ResMap){
		"examples/overlay":      checkSidecarOverlay,
		"examples/applications": checkApplications,
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(manifestsDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "kustomization.yaml" {
			return err
		}
		dir, _ := filepath.Rel(manifestsDir, filepath.Dir(p))
		dir = filepath.ToSlash(dir)
		if kustomizationKind(t, p) == "Component" {
			return nil
		}
		seen[dir] = true
		t.Run(dir, func(t *testing.T) {
			res := kustomizeBuild(t, filepath.Dir(p))
			if check, ok := checks[dir]; ok {
				check(t, res)
			} else {
				t.Errorf("no checks for the kustomization in manifests/%s; add them to TestKustomizeBuild", dir)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range checks {
		if !seen[dir] {
			t.Errorf("manifests/%s/kustomization.yaml is missing", dir)
		}
	}
}

func kustomizationKind(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k struct{ Kind string }
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return k.Kind
}

func kustomizeBuild(t *testing.T, dir string) resmap.ResMap {
	t.Helper()
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return res
}

// decodeOne finds the single resource of kind and name-prefix and decodes it into out.
func decodeOne(t *testing.T, res resmap.ResMap, kind, namePrefix string, out any) string {
	t.Helper()
	var found []string
	for _, r := range res.Resources() {
		if r.GetKind() != kind || !strings.HasPrefix(r.GetName(), namePrefix) {
			continue
		}
		found = append(found, r.GetName())
		data, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, out); err != nil {
			t.Fatalf("decoding %s %s: %v", kind, r.GetName(), err)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %s %s*, found %v", kind, namePrefix, found)
	}
	return found[0]
}

func checkSidecarOverlay(t *testing.T, res resmap.ResMap) {
	var d appsv1.Deployment
	decodeOne(t, res, "Deployment", "argocd-repo-server", &d)
	if d.Namespace != "argocd" {
		t.Errorf("namespace = %q, want argocd", d.Namespace)
	}
	spec := d.Spec.Template.Spec
	c := container(t, spec.Containers, "gitless")
	if _, ok := findContainer(spec.Containers, "argocd-repo-server"); !ok {
		t.Error("the patch dropped the argocd-repo-server container")
	}
	if _, ok := findContainer(spec.InitContainers, "copyutil"); !ok {
		t.Error("the patch dropped the copyutil init container")
	}
	if !slices.Equal(c.Command, []string{"/var/run/argocd/argocd-cmp-server"}) {
		t.Errorf("command = %v, want Argo CD's argocd-cmp-server from var-files", c.Command)
	}
	if c.Image != "ghcr.io/gitless-dev/argocd-cmp:v0.1.0" {
		t.Errorf("image = %q", c.Image)
	}
	checkSecurityContext(t, c.SecurityContext)
	checkResources(t, c.Resources)
	checkEnv(t, c)
	checkMounts(t, res, spec, c)
}

func container(t *testing.T, cs []corev1.Container, name string) corev1.Container {
	t.Helper()
	c, ok := findContainer(cs, name)
	if !ok {
		t.Fatalf("no container %q", name)
	}
	return c
}

func findContainer(cs []corev1.Container, name string) (corev1.Container, bool) {
	i := slices.IndexFunc(cs, func(c corev1.Container) bool { return c.Name == name })
	if i < 0 {
		return corev1.Container{}, false
	}
	return cs[i], true
}

func checkSecurityContext(t *testing.T, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil {
		t.Fatal("no securityContext")
	}
	ok := sc.RunAsNonRoot != nil && *sc.RunAsNonRoot &&
		sc.RunAsUser != nil && *sc.RunAsUser == 999 &&
		sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem &&
		sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation &&
		sc.Capabilities != nil && slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0 &&
		sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault
	if !ok {
		out, _ := yaml.Marshal(sc)
		t.Errorf("securityContext is not runAsNonRoot/runAsUser 999/readOnlyRootFilesystem/no escalation/drop ALL/RuntimeDefault:\n%s", out)
	}
}

func checkResources(t *testing.T, r corev1.ResourceRequirements) {
	t.Helper()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := r.Requests[name], r.Limits[name]
		if req.IsZero() || lim.IsZero() || lim.Cmp(req) < 0 {
			t.Errorf("%s: request %s, limit %s; want both, limit >= request", name, req.String(), lim.String())
		}
	}
}

func checkEnv(t *testing.T, c corev1.Container) {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["GITLESS_CONFIG"] != "/etc/gitless/config.yaml" {
		t.Errorf("GITLESS_CONFIG = %q", env["GITLESS_CONFIG"])
	}
	if env["DOCKER_CONFIG"] != "/etc/gitless/docker" {
		t.Errorf("DOCKER_CONFIG = %q", env["DOCKER_CONFIG"])
	}
}

// wantMount is one volume mount of the sidecar and what its volume must be.
type wantMount struct {
	path, subPath string
	check         func(*testing.T, corev1.Volume)
}

func checkMounts(t *testing.T, res resmap.ResMap, spec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	pluginYAMLData, err := os.ReadFile(pluginYAML)
	if err != nil {
		t.Fatal(err)
	}
	emptyDir := func(t *testing.T, v corev1.Volume) {
		if v.EmptyDir == nil {
			t.Errorf("volume %s is not an emptyDir", v.Name)
		}
	}
	wants := []wantMount{
		{path: "/var/run/argocd", check: func(t *testing.T, v corev1.Volume) {
			emptyDir(t, v)
			if v.Name != "var-files" {
				t.Errorf("/var/run/argocd is volume %s, want Argo CD's var-files", v.Name)
			}
		}},
		{path: "/home/argocd/cmp-server/plugins", check: func(t *testing.T, v corev1.Volume) {
			emptyDir(t, v)
			if v.Name != "plugins" || !mountsVolume(spec.Containers, "argocd-repo-server", "plugins") {
				t.Errorf("plugins volume %s is not shared with argocd-repo-server", v.Name)
			}
		}},
		{path: "/home/argocd/cmp-server/config/plugin.yaml", subPath: "plugin.yaml", check: func(t *testing.T, v corev1.Volume) {
			if got := configMapKey(t, res, v, "plugin.yaml"); got != string(pluginYAMLData) {
				t.Errorf("the plugin.yaml ConfigMap differs from manifests/plugin.yaml:\n%s", got)
			}
		}},
		{path: "/tmp", check: func(t *testing.T, v corev1.Volume) {
			emptyDir(t, v)
			if mountsVolume(spec.Containers, "argocd-repo-server", v.Name) {
				t.Errorf("/tmp volume %s is shared with argocd-repo-server; the sidecar needs its own", v.Name)
			}
		}},
		{path: "/etc/gitless/config.yaml", subPath: "config.yaml", check: func(t *testing.T, v corev1.Volume) {
			cfg, err := config.Parse([]byte(configMapKey(t, res, v, "config.yaml")))
			if err != nil {
				t.Fatalf("config.yaml does not load as argocd-cmp loads it: %v", err)
			}
			keysVol, ok := mountAt(c, "/etc/gitless/keys")
			if !ok {
				return
			}
			keys, _ := volume(spec, keysVol.Name)
			for _, p := range cfg.Policies {
				for _, k := range p.Keys {
					name, ok := strings.CutPrefix(k, "/etc/gitless/keys/")
					if !ok {
						t.Errorf("policy %s: key %s is not in the mounted /etc/gitless/keys", p.Match, k)
						continue
					}
					if !strings.Contains(configMapKey(t, res, keys, name), "BEGIN PUBLIC KEY") {
						t.Errorf("policy %s: key %s is not a PEM public key", p.Match, k)
					}
				}
			}
		}},
		{path: "/etc/gitless/keys", check: func(t *testing.T, v corev1.Volume) {
			if v.ConfigMap == nil {
				t.Errorf("keys volume %s is not a ConfigMap", v.Name)
			}
		}},
		{path: "/etc/gitless/docker", check: func(t *testing.T, v corev1.Volume) {
			s := v.Secret
			if s == nil || s.SecretName != "gitless-registry-credentials" || len(s.Items) != 1 ||
				s.Items[0].Key != corev1.DockerConfigJsonKey || s.Items[0].Path != "config.json" {
				t.Errorf("registry credentials volume is not the dockerconfigjson Secret as config.json: %+v", v.VolumeSource)
			}
		}},
	}
	for _, w := range wants {
		m, ok := mountAt(c, w.path)
		if !ok {
			t.Errorf("no volumeMount at %s", w.path)
			continue
		}
		if m.SubPath != w.subPath {
			t.Errorf("%s: subPath = %q, want %q", w.path, m.SubPath, w.subPath)
		}
		v, ok := volume(spec, m.Name)
		if !ok {
			t.Errorf("%s: no volume %q", w.path, m.Name)
			continue
		}
		w.check(t, v)
	}
}

func mountAt(c corev1.Container, path string) (corev1.VolumeMount, bool) {
	i := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == path })
	if i < 0 {
		return corev1.VolumeMount{}, false
	}
	return c.VolumeMounts[i], true
}

func volume(spec corev1.PodSpec, name string) (corev1.Volume, bool) {
	i := slices.IndexFunc(spec.Volumes, func(v corev1.Volume) bool { return v.Name == name })
	if i < 0 {
		return corev1.Volume{}, false
	}
	return spec.Volumes[i], true
}

func mountsVolume(cs []corev1.Container, container, vol string) bool {
	c, ok := findContainer(cs, container)
	return ok && slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == vol })
}

// configMapKey returns key of the ConfigMap behind volume v, which must be in the build output
// (kustomize rewrites the name to the generated, hashed one).
func configMapKey(t *testing.T, res resmap.ResMap, v corev1.Volume, key string) string {
	t.Helper()
	if v.ConfigMap == nil {
		t.Fatalf("volume %s is not a ConfigMap", v.Name)
	}
	var cm corev1.ConfigMap
	name := decodeOne(t, res, "ConfigMap", v.ConfigMap.Name, &cm)
	if name != v.ConfigMap.Name {
		t.Fatalf("volume %s names ConfigMap %s, build has %s", v.Name, v.ConfigMap.Name, name)
	}
	data, ok := cm.Data[key]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %s", name, key)
	}
	return data
}

func checkApplications(t *testing.T, res resmap.ResMap) {
	var byOCI, byEnv, byParam bool
	for _, r := range res.Resources() {
		if r.GetKind() != "Application" {
			t.Errorf("unexpected %s %s", r.GetKind(), r.GetName())
			continue
		}
		data, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var a v1alpha1.Application
		if err := yaml.UnmarshalStrict(data, &a); err != nil {
			t.Fatalf("Application %s: %v", r.GetName(), err)
		}
		src := a.Spec.Source
		if src == nil || src.Plugin == nil || src.Plugin.Name != "gitless-v1" {
			t.Errorf("Application %s does not select plugin gitless-v1", a.Name)
			continue
		}
		for _, p := range src.Plugin.Parameters {
			if !slices.Contains(announcedParameters, p.Name) {
				t.Errorf("Application %s sets parameter %q, which argocd-cmp does not announce", a.Name, p.Name)
			}
		}
		switch {
		case strings.HasPrefix(src.RepoURL, "oci://"):
			byOCI = true
			if !src.IsOCI() || src.Path != "." || src.TargetRevision == "" {
				t.Errorf("OCI Application %s: repoURL %s path %q targetRevision %q", a.Name, src.RepoURL, src.Path, src.TargetRevision)
			}
		case slices.ContainsFunc(src.Plugin.Env, func(e *v1alpha1.EnvEntry) bool {
			return e.Name == "GITLESS_REF" && e.Value == "hub.example.com/platform/guestbook:1.4.0"
		}):
			byEnv = true
		case slices.ContainsFunc(src.Plugin.Parameters, func(p v1alpha1.ApplicationSourcePluginParameter) bool {
			return p.Name == "ref" && p.String_ != nil && *p.String_ != ""
		}):
			byParam = true
		default:
			t.Errorf("Application %s names no artifact", a.Name)
		}
	}
	if !byOCI || !byEnv || !byParam {
		t.Errorf("examples: OCI source %v, GITLESS_REF env %v, ref parameter %v; want all", byOCI, byEnv, byParam)
	}
}

// TestDockerfile keeps the image consistent with the manifests: the user the pod runs as, and the
// plugin binary on the image's PATH under the name plugin.yaml runs.
func TestDockerfile(t *testing.T) {
	f, err := os.Open(filepath.Join(mainModule, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var froms []string
	var user string
	var final []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "FROM "):
			froms = append(froms, strings.Fields(line)[1])
			final = nil
		case strings.HasPrefix(line, "USER "):
			user = strings.TrimSpace(strings.TrimPrefix(line, "USER "))
		}
		final = append(final, line)
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:1.26") || froms[1] != "gcr.io/distroless/static:nonroot" {
		t.Errorf("stages = %v, want golang:1.26 then gcr.io/distroless/static:nonroot", froms)
	}
	if uid, err := strconv.Atoi(user); err != nil || uid != 999 {
		t.Errorf("USER %q, want 999 (Argo CD's sidecar user, runAsUser in the component)", user)
	}
	// argocd-cmp and the programs it starts from its own directory
	for _, bin := range append([]string{pluginBinary}, besidePlugin...) {
		if !slices.ContainsFunc(final, func(l string) bool {
			return strings.HasPrefix(l, "COPY ") && strings.HasSuffix(l, " /usr/local/bin/"+bin)
		}) {
			t.Errorf("final stage does not install %s into /usr/local/bin (beside argocd-cmp, on distroless's PATH)", bin)
		}
	}
}

package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/cmp"
	_ "github.com/gitless-dev/gitless/pkg/cmp/verify" // signatures are verified in this process
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/render"
	_ "github.com/gitless-dev/gitless/pkg/render/helm" // render and publish's check render Helm charts
)

// ignoreSignaturesFlag skips verification in render and diff; insecure-skip-verify is its old name,
// too easily read as kubectl's --insecure-skip-tls-verify.
const (
	ignoreSignaturesFlag = "insecure-ignore-signatures"
	oldIgnoreFlag        = "insecure-skip-verify"
)

type renderOptions struct {
	options.Registry
	options.Trust
	genericiooptions.IOStreams

	source       string
	params       cmp.Params
	localValues  []string
	inlineValues string
	kubeVersion  string
	apiVersions  []string
	skipVerify   bool
	appName      string
	appNamespace string
	kind         string
	isDir        bool
	lock         *images.Lock // the verified images lock of the artifact rendered
	cfg          *config.Config
}

// renderCmdOptions adds what only render has: -o yaml|json.
type renderCmdOptions struct {
	renderOptions
	format      string
	checkImages bool
}

func newRenderCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &renderCmdOptions{renderOptions: renderOptions{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "render REF|DIR",
		Short: "Render an artifact or a local tree exactly as the Argo CD sidecar would",
		Long: `Print the manifests argocd-cmp would give Argo CD for the same inputs: the same pipeline (resolve once,
verify, fetch by digest with digest checks, safe extraction) and the same renderers with the same defaults.
A REF is verified first: --policy takes the sidecar's config file (its registries, mirrors and policies),
--key a public key; --project NAME decides as the sidecar does for an Application of that Argo CD project
(the policies and credentials the config scopes to projects). A DIR is rendered as it stands, with nothing
fetched or verified. Whatever exists on disk, or starts with ./, ../ or /, is a DIR; anything else is a
REF (force one with oci://).
-o yaml (the default) prints the manifests as the sidecar does; -o json prints them as a kind: List.
With an images mirror in the --policy config, locked images are pointed at the zone's copy by digest as the
sidecar does; --check-images then asks the mirror for every locked digest and fails naming those it lacks.`,
		Example: `  kubectl gitless render registry.example.com/platform/app:1.4.0 --policy config.yaml --release app --namespace apps
  kubectl gitless render registry.example.com/team-a/app:1.0.0 --policy config.yaml --project team-a
  kubectl gitless render ./charts/app -f values-prod.yaml --set replicas=3 --kube-version 1.31
  kubectl gitless render ./charts/app --value-file values-prod.yaml   # a values file inside the chart
  kubectl gitless render registry.example.com/platform/app:1.4.0 --policy zone-a.yaml --check-images`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: completeDirThenNone,
	}
	o.addFlags(c)
	c.Flags().StringVarP(&o.format, "output", "o", "yaml", "output format: yaml (the manifests, as the sidecar prints them) or json (a kind: List)")
	c.Flags().BoolVar(&o.checkImages, "check-images", false, "ask the images mirror of the --policy config for every locked image digest; fail naming those it lacks")
	registerCompletions(c)
	_ = c.RegisterFlagCompletionFunc("output", fixedCompletion("yaml", "json"))
	return c
}

// addFlags registers the flags render and diff share.
func (o *renderOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	o.Registry.AddFlags(f)
	o.Trust.AddFlags(f)
	f.StringArrayVarP(&o.localValues, "values", "f", nil, "local Helm values file, as helm -f (repeatable; later files win)")
	f.StringArrayVar(&o.params.ValueFiles, "value-file", nil, "Helm values file inside the chart, relative to it (repeatable; the valueFiles parameter)")
	f.StringArrayVar(&o.params.Set, "set", nil, "Helm value key=value (repeatable)")
	f.StringVar(&o.inlineValues, "values-yaml", "", "inline Helm values YAML (the values parameter; applied after -f)")
	f.StringVarP(&o.appNamespace, "namespace", "n", "", "the Application's destination namespace (ARGOCD_APP_NAMESPACE): Helm release namespace")
	f.StringVar(&o.appName, "release", "", "the Application's name (ARGOCD_APP_NAME): Helm release name")
	f.StringVar(&o.params.Namespace, "kustomize-namespace", "", "the namespace parameter: overrides the Helm namespace and sets the Kustomize namespace")
	f.StringArrayVar(&o.params.Images, "image", nil, "Kustomize image override name=newName:tag (repeatable)")
	f.StringVar(&o.params.NamePrefix, "name-prefix", "", "Kustomize name prefix")
	f.StringVar(&o.params.NameSuffix, "name-suffix", "", "Kustomize name suffix")
	f.StringVar(&o.kubeVersion, "kube-version", "", "Kubernetes version for Helm capabilities (KUBE_VERSION)")
	f.StringSliceVar(&o.apiVersions, "api-versions", nil, "API versions for Helm capabilities (KUBE_API_VERSIONS)")
	f.StringVar(&o.kind, "kind", "", "for a DIR: plain, kustomize or helm (default: detected)")
	f.BoolVar(&o.skipVerify, ignoreSignaturesFlag, false, "render a REF without verifying its signatures (unsafe; the sidecar never does)")
	f.BoolVar(&o.skipVerify, oldIgnoreFlag, false, "")
	_ = f.MarkDeprecated(oldIgnoreFlag, "use --"+ignoreSignaturesFlag+" (it skips signatures, not TLS verification)")
}

func (o *renderCmdOptions) Complete(args []string) error {
	o.source = args[0]
	var err error
	if o.isDir, err = localDir(o.source); err != nil {
		return err
	}
	return o.complete()
}

// complete reads the local values files and --password-stdin.
func (o *renderOptions) complete() error {
	values, err := mergeValues(o.localValues, o.inlineValues)
	if err != nil {
		return err
	}
	o.params.Values = values
	return o.Registry.Complete(o.In)
}

func (o *renderCmdOptions) Validate() error {
	if o.format != "yaml" && o.format != "json" {
		return fmt.Errorf("unknown output format %q: render prints yaml or json", o.format)
	}
	if o.checkImages && (o.isDir || o.Policy == "") {
		return options.Usagef("--check-images needs a REF and --policy with an images mirror (a DIR has no images lock)")
	}
	return o.renderOptions.Validate()
}

func (o *renderOptions) Validate() error {
	if o.isDir || o.skipVerify {
		return o.Registry.Validate()
	}
	if err := o.Trust.Validate(); err != nil {
		return fmt.Errorf("%w (or --%s for an unsigned preview)", err, ignoreSignaturesFlag)
	}
	return o.Registry.Validate()
}

func (o *renderOptions) env() cmp.Env {
	e := cmp.Env{AppName: o.appName, AppNamespace: o.appNamespace, Project: o.Trust.Project,
		KubeVersion: o.kubeVersion, APIVersions: o.apiVersions, Params: o.params}
	e.Params.Ref = o.source
	return e
}

func (o *renderCmdOptions) Run(cmd *cobra.Command) error {
	if o.format == "yaml" && !o.checkImages {
		return o.renderSource(cmd, o.source, o.isDir, o.Out)
	}
	var buf bytes.Buffer
	if err := o.renderSource(cmd, o.source, o.isDir, &buf); err != nil {
		return err
	}
	if o.format == "yaml" {
		if _, err := o.Out.Write(buf.Bytes()); err != nil {
			return err
		}
		return o.reportMissingImages(cmd)
	}
	objs, err := splitObjects(buf.String())
	if err != nil {
		return err
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""}, "items": objs}
	enc := json.NewEncoder(o.Out)
	enc.SetIndent("", "    ")
	if err := enc.Encode(list); err != nil {
		return err
	}
	return o.reportMissingImages(cmd)
}

// reportMissingImages asks the images mirrors for every locked digest (--check-images) and names on
// stderr those they lack; the rendered manifests are on stdout already, as Kubernetes would get them.
func (o *renderCmdOptions) reportMissingImages(cmd *cobra.Command) error {
	if !o.checkImages {
		return nil
	}
	if o.lock == nil {
		return fmt.Errorf("--check-images: %s has no images lock (publish it with --images=resolve)", o.source)
	}
	if !o.cfg.HasImagesMirror() {
		return options.Usagef("--check-images: the --policy config names no images mirror (images: {mirror: HOST/PREFIX})")
	}
	ref, _ := registry.ParseReference(o.source)
	base := o.Registry.OptionsFor(ref) // --username stays with the artifact's registry
	missing := images.CheckMirror(cmd.Context(), *o.lock, func(repo string) (string, registry.Options, bool) {
		m := o.cfg.ImagesMirrorFor(repo)
		if m == nil {
			return "", registry.Options{}, false
		}
		return m.Mirror, o.cfg.ImagesMirrorOptions(m, base), true
	})
	for _, m := range missing {
		fmt.Fprintf(o.ErrOut, "missing at the mirror: %s (locked as %s): %v\n", m.At, m.Image.Ref, m.Err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d locked image(s) missing at the images mirror: copy them there with `kubectl gitless copy --images`", len(missing))
	}
	fmt.Fprintf(o.ErrOut, "images mirror: none of the %d pinned image(s) missing\n", countPinned(*o.lock))
	return nil
}

func countPinned(l images.Lock) int {
	n := 0
	for _, im := range l.Images {
		if im.Digest != "" {
			n++
		}
	}
	return n
}

// renderSource renders a directory as it stands, or a reference through the sidecar's pipeline.
func (o *renderOptions) renderSource(cmd *cobra.Command, source string, isDir bool, w io.Writer) error {
	env := o.env()
	env.Params.Ref = source
	if isDir {
		// render what publish would pack: a Kustomize overlay together with the bases it references
		root, path := source, "."
		if k, err := render.Detect(source); err == nil && k == render.KindKustomize && (o.kind == "" || o.kind == string(k)) {
			if root, path, err = render.PackRoot(source, "/"); err != nil {
				return err
			}
		}
		return render.Render(cmd.Context(), root, cmp.RenderOptions(env, render.Kind(o.kind), path), w)
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	o.cfg = cfg
	log := newStderrLogger(o.ErrOut)
	if o.skipVerify {
		log.Warn("rendering without verifying signatures (--" + ignoreSignaturesFlag + ")")
	}
	ref, _ := registry.ParseReference(source) // the pipeline reports a bad reference itself
	p := &cmp.Pipeline{Config: cfg, Logger: log, Registry: o.Registry.OptionsFor(ref),
		AllowLayouts: true} // a local preview may read an OCI layout on disk; the sidecar never does
	p.ImagesLock = func(l images.Lock) { o.lock = &l }
	return p.Generate(cmd.Context(), env, w)
}

// config is the sidecar configuration to render with: the --policy file, or one built from the flags.
func (o *renderOptions) config() (*config.Config, error) {
	if o.Policy != "" {
		return o.Trust.Config()
	}
	if o.skipVerify {
		return &config.Config{Policies: []config.Policy{{Match: "**", InsecureAcceptUnsigned: true}}}, nil
	}
	p, err := o.Trust.PolicyFor("")
	if err != nil {
		return nil, err
	}
	return &config.Config{Policies: []config.Policy{*p}}, nil
}

// mergeValues merges local values files in order, as helm -f does (maps merge key by key, later
// files win), then the inline YAML on top, into one values document.
func mergeValues(files []string, inline string) (string, error) {
	if len(files) == 0 {
		return inline, nil
	}
	merged := map[string]any{}
	docs := make([][]byte, 0, len(files)+1)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", options.Usagef("reading values file: %w", err)
		}
		docs = append(docs, b)
	}
	docs = append(docs, []byte(inline))
	for i, b := range docs {
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			name := "--values-yaml"
			if i < len(files) {
				name = files[i]
			}
			return "", options.Usagef("reading values %s: %w", name, err)
		}
		mergeMaps(merged, m)
	}
	out, err := yaml.Marshal(merged)
	return string(out), err
}

// mergeMaps merges src into dst: nested maps key by key, anything else replaced (Helm's rule).
func mergeMaps(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeMaps(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// splitObjects reads rendered manifests (YAML documents separated by ---) into objects.
func splitObjects(rendered string) ([]map[string]any, error) {
	objs := []map[string]any{}
	for _, doc := range splitDocuments(rendered) {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, fmt.Errorf("reading rendered manifests: %w", err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

func splitDocuments(rendered string) []string {
	var docs []string
	for _, doc := range strings.Split(rendered, "\n---\n") {
		doc = strings.TrimPrefix(strings.TrimSpace(doc), "---\n")
		if doc != "" {
			docs = append(docs, doc)
		}
	}
	return docs
}

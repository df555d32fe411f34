package cmd

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/render"
)

type renderOptions struct {
	options.Registry
	options.Trust
	genericiooptions.IOStreams

	source       string
	params       cmp.Params
	kubeVersion  string
	apiVersions  []string
	skipVerify   bool
	appName      string
	appNamespace string
	kind         string
	isDir        bool
}

func newRenderCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &renderOptions{IOStreams: streams}
	c := &cobra.Command{
		Use:   "render REF|DIR",
		Short: "Render an artifact or a local tree exactly as the Argo CD sidecar would",
		Long: `Print the manifests argocd-cmp would give Argo CD for the same inputs: the same pipeline (resolve once,
verify, fetch by digest with digest checks, safe extraction) and the same renderers with the same defaults.
A REF is verified first: --policy takes the sidecar's config file (its registries, mirrors and policies),
--key a public key. A DIR is rendered as it stands, with nothing fetched or verified.`,
		Example: `  kubectl gitless render registry.example.com/platform/app:1.4.0 --policy config.yaml --release app --namespace apps
  kubectl gitless render ./charts/app --values values-prod.yaml --set replicas=3 --kube-version 1.31`,
		Args:              cobra.ExactArgs(1),
		RunE:              runE(o),
		ValidArgsFunction: completeDirThenNone,
	}
	o.addFlags(c)
	registerCompletions(c)
	return c
}

// addFlags registers the flags render and diff share.
func (o *renderOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	o.Registry.AddFlags(f)
	o.Trust.AddFlags(f)
	f.StringArrayVarP(&o.params.ValueFiles, "values", "f", nil, "Helm values file inside the chart (repeatable; as the valueFiles parameter)")
	f.StringArrayVar(&o.params.Set, "set", nil, "Helm value key=value (repeatable)")
	f.StringVar(&o.params.Values, "values-yaml", "", "inline Helm values YAML (as the values parameter)")
	f.StringVarP(&o.appNamespace, "namespace", "n", "", "the Application's destination namespace (ARGOCD_APP_NAMESPACE): Helm release namespace")
	f.StringVar(&o.appName, "release", "", "the Application's name (ARGOCD_APP_NAME): Helm release name")
	f.StringVar(&o.params.Namespace, "kustomize-namespace", "", "the namespace parameter: overrides the Helm namespace and sets the Kustomize namespace")
	f.StringArrayVar(&o.params.Images, "image", nil, "Kustomize image override name=newName:tag (repeatable)")
	f.StringVar(&o.params.NamePrefix, "name-prefix", "", "Kustomize name prefix")
	f.StringVar(&o.params.NameSuffix, "name-suffix", "", "Kustomize name suffix")
	f.StringVar(&o.kubeVersion, "kube-version", "", "Kubernetes version for Helm capabilities (KUBE_VERSION)")
	f.StringSliceVar(&o.apiVersions, "api-versions", nil, "API versions for Helm capabilities (KUBE_API_VERSIONS)")
	f.StringVar(&o.kind, "kind", "", "for a DIR: plain, kustomize or helm (default: detected)")
	f.BoolVar(&o.skipVerify, "insecure-skip-verify", false, "render a REF without verifying its signature (unsafe; the sidecar never does)")
}

func (o *renderOptions) Complete(args []string) error {
	o.source = args[0]
	o.isDir = isLocalDir(o.source)
	return o.Registry.Complete(o.In)
}

func isLocalDir(s string) bool {
	fi, err := os.Stat(s)
	return err == nil && fi.IsDir() && !strings.HasPrefix(s, "oci-layout:")
}

func (o *renderOptions) Validate() error {
	if o.isDir || o.skipVerify {
		return o.Registry.Validate()
	}
	if err := o.Trust.Validate(); err != nil {
		return errors.New(err.Error() + " (or --insecure-skip-verify for an unsigned preview)")
	}
	return o.Registry.Validate()
}

func (o *renderOptions) env() cmp.Env {
	e := cmp.Env{AppName: o.appName, AppNamespace: o.appNamespace, KubeVersion: o.kubeVersion,
		APIVersions: o.apiVersions, Params: o.params}
	e.Params.Ref = o.source
	return e
}

func (o *renderOptions) Run(cmd *cobra.Command) error {
	return o.renderSource(cmd, o.source, o.isDir, o.Out)
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
	// a local preview may read an OCI layout on disk; the sidecar never does
	p := &cmp.Pipeline{Config: cfg, Logger: newStderrLogger(o.ErrOut), Registry: o.Registry.Options(), AllowLayouts: true}
	return p.Generate(cmd.Context(), env, w)
}

// config is the sidecar configuration to render with: the --policy file, or one built from the flags.
func (o *renderOptions) config() (*config.Config, error) {
	if o.Policy != "" {
		return config.Load(o.Policy)
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

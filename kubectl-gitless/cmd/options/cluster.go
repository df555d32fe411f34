package options

import (
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
)

// Cluster is kubectl's kubeconfig flags (genericclioptions.ConfigFlags: --kubeconfig, -n, --cluster,
// --user, ...) with --context repeatable, one cluster per context, and -A for every namespace. The
// registry flags keep --insecure-skip-tls-verify and --request-timeout for the registry.
type Cluster struct {
	Contexts      []string
	AllNamespaces bool

	flags   *genericclioptions.ConfigFlags
	context string
}

// NewCluster returns the flags with nothing set.
func NewCluster() *Cluster {
	c := &Cluster{flags: genericclioptions.NewConfigFlags(false)}
	c.flags.Context = &c.context
	// --insecure-skip-tls-verify and --request-timeout are the registry's (Registry); the cluster's
	// come from the kubeconfig.
	c.flags.Insecure, c.flags.Timeout = nil, nil
	return c
}

// AddFlags registers the kubeconfig flags.
func (c *Cluster) AddFlags(fs *pflag.FlagSet, allNamespaces bool) {
	ctx := c.flags.Context
	c.flags.Context = nil // registered below as a repeatable flag
	c.flags.AddFlags(fs)
	c.flags.Context = ctx
	fs.StringArrayVar(&c.Contexts, "context", nil, "kubeconfig context (repeatable: each context's cluster, one table; default: the current context)")
	if allNamespaces {
		fs.BoolVarP(&c.AllNamespaces, "all-namespaces", "A", false, "Applications of every namespace")
	}
}

// Target is one cluster to read: its context name, the namespace to read (empty for all) and a client.
type Target struct {
	Context   string
	Namespace string
	Client    dynamic.Interface
}

// Targets opens a client per context.
func (c *Cluster) Targets() ([]Target, error) {
	names := c.Contexts
	if len(names) == 0 {
		names = []string{""}
	}
	var out []Target
	for _, name := range names {
		c.context = name
		loader := c.flags.ToRawKubeConfigLoader()
		raw, err := loader.RawConfig()
		if err != nil {
			return nil, fmt.Errorf("reading the kubeconfig: %w", err)
		}
		if name == "" {
			name = raw.CurrentContext
		} else if _, ok := raw.Contexts[name]; !ok {
			return nil, Usagef("context %q is not in the kubeconfig: see kubectl config get-contexts", name)
		}
		rc, err := loader.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("reading the kubeconfig for context %q: %w", name, err)
		}
		ns, _, err := loader.Namespace()
		if err != nil {
			return nil, err
		}
		if c.AllNamespaces {
			ns = ""
		}
		client, err := dynamic.NewForConfig(rc)
		if err != nil {
			return nil, err
		}
		out = append(out, Target{Context: name, Namespace: ns, Client: client})
	}
	return out, nil
}

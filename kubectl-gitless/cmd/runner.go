package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// runner is kubectl's command pattern: every command's options implement it.
type runner interface {
	Complete(args []string) error
	Validate() error
	Run(cmd *cobra.Command) error
}

// runE runs o's Complete, Validate and Run in order.
func runE(o runner) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(args); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return options.Usage(err)
		}
		return o.Run(cmd)
	}
}

// refCommand is what the commands that act on one reference share: registry access, output format,
// the streams, and the reference with its opened repository.
type refCommand struct {
	options.Registry
	options.Output
	genericiooptions.IOStreams

	ref  registry.Reference
	repo registry.Repository
	// project is the Argo CD project whose scoped credentials a --policy config gives (verify --project).
	project string
}

func (o *refCommand) addFlags(c *cobra.Command) {
	o.Registry.AddFlags(c.Flags())
	o.Output.AddFlags(c.Flags())
}

// completeRef reads --password-stdin and opens the repository of arg.
func (o *refCommand) completeRef(arg string) error { return o.completeRefWith(arg, nil) }

// completeRefWith is completeRef with the settings a gitless config (--policy) gives arg's registry,
// applied as the sidecar and render apply them.
func (o *refCommand) completeRefWith(arg string, cfg *config.Config) error {
	if err := o.Registry.Complete(o.In); err != nil {
		return err
	}
	var err error
	if o.ref, err = registry.ParseReference(arg); err != nil {
		return err
	}
	o.repo, err = o.OptionsWithConfigFor(o.ref, cfg, o.project).Open(o.ref)
	return err
}

// Validate checks the shared flags.
func (o *refCommand) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	return o.Registry.Validate()
}

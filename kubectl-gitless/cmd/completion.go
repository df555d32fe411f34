package cmd

import (
	"github.com/spf13/cobra"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
)

// registerCompletions completes the flags shared by every command.
func registerCompletions(c *cobra.Command) {
	if c.Flags().Lookup("output") != nil {
		_ = c.RegisterFlagCompletionFunc("output", fixedCompletion(options.CompleteFormats()...))
	}
	for _, name := range []string{"ca-file", "registry-config", "key", "policy", "values"} {
		if c.Flags().Lookup(name) != nil {
			_ = c.MarkFlagFilename(name)
		}
	}
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeDirThenNone completes a local path for the first argument and nothing after it.
func completeDirThenNone(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// noFileCompletion is for arguments that are references: a shell's file names would only mislead.
func noFileCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

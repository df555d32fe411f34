package cmd

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
)

type versionInfo struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	Revision  string `json:"revision,omitempty"`
}

func newVersionCmd(streams genericiooptions.IOStreams) *cobra.Command {
	var out options.Output
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of kubectl-gitless",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := out.Validate(); err != nil {
				return err
			}
			v := currentVersion()
			return out.Print(streams.Out, v, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "kubectl-gitless %s (%s, %s)\n", v.Version, v.GoVersion, v.Platform)
				return err
			})
		},
	}
	out.AddFlags(c.Flags())
	registerCompletions(c)
	return c
}

func currentVersion() versionInfo {
	v := versionInfo{Version: options.Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Revision = s.Value
			}
		}
	}
	return v
}

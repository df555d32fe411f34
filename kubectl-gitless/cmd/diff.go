package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
)

// ErrDifferent is returned by diff when the two sides differ; the exit code is 1, as kubectl diff's,
// and nothing is printed as an error.
var ErrDifferent = errors.New("rendered manifests differ")

type diffOptions struct {
	renderOptions
	options.Output
	from, to       string
	fromDir, toDir bool
}

type objectDiff struct {
	Object string `json:"object"`
	Change string `json:"change"` // added, removed, changed
	Diff   string `json:"diff,omitempty"`
}

// diffFailure marks diff's own failures, so that a failure other commands exit 1 for exits
// ExitDiffError instead: 1 is "changed".
type diffFailure struct{ error }

func (e diffFailure) Unwrap() error { return e.error }

func newDiffCmd(streams genericiooptions.IOStreams) *cobra.Command {
	o := &diffOptions{renderOptions: renderOptions{IOStreams: streams}}
	c := &cobra.Command{
		Use:   "diff FROM TO",
		Short: "Render two artifacts or trees and show what changes, object by object",
		Long: `Render FROM and TO (each a REF or a DIR) as the sidecar would, with the same flags as render, and print
a unified diff per object (keyed by apiVersion, kind, namespace and name).
Exit status, as kubectl diff's: 0 no change, 1 changed, above 1 an error (2 usage or other failure,
3 not found, 4 unauthorized, 5 unreachable, 10-12 signatures).`,
		Example: `  kubectl gitless diff hub.example.com/platform/app:1.4.0 hub.example.com/platform/app:1.5.0 --key cosign.pub
  kubectl gitless diff hub.example.com/platform/app:1.4.0 ./deploy/overlays/prod --key cosign.pub`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.ExactArgs(2)(cmd, args); err != nil {
				return diffFailure{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			err := runE(o)(cmd, args)
			if err != nil && !errors.Is(err, ErrDifferent) {
				err = diffFailure{err}
			}
			return err
		},
	}
	o.renderOptions.addFlags(c)
	o.Output.AddFlags(c.Flags())
	registerCompletions(c)
	return c
}

func (o *diffOptions) Complete(args []string) error {
	o.from, o.to = args[0], args[1]
	var err error
	if o.fromDir, err = localDir(o.from); err != nil {
		return err
	}
	if o.toDir, err = localDir(o.to); err != nil {
		return err
	}
	return o.complete()
}

func (o *diffOptions) Validate() error {
	if err := o.Output.Validate(); err != nil {
		return err
	}
	o.isDir = o.fromDir && o.toDir // no trust is needed when nothing is fetched
	return o.renderOptions.Validate()
}

func (o *diffOptions) Run(cmd *cobra.Command) error {
	from, err := o.objects(cmd, o.from, o.fromDir)
	if err != nil {
		return err
	}
	to, err := o.objects(cmd, o.to, o.toDir)
	if err != nil {
		return err
	}
	diffs := diffObjects(from, to, o.from, o.to)
	if err := o.Print(o.Out, diffs, func(w io.Writer) error {
		for _, d := range diffs {
			fmt.Fprint(w, d.Diff)
		}
		return nil
	}); err != nil {
		return err
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%w: %d objects", ErrDifferent, len(diffs))
	}
	return nil
}

func (o *diffOptions) objects(cmd *cobra.Command, source string, isDir bool) (map[string]string, error) {
	var buf bytes.Buffer
	if err := o.renderSource(cmd, source, isDir, &buf); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", source, err)
	}
	objs := map[string]string{}
	for _, doc := range splitDocuments(buf.String()) {
		var u unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return nil, fmt.Errorf("reading rendered %s: %w", source, err)
		}
		key := fmt.Sprintf("%s/%s %s/%s", u.GetAPIVersion(), u.GetKind(), u.GetNamespace(), u.GetName())
		objs[key] = doc + "\n"
	}
	return objs, nil
}

func diffObjects(from, to map[string]string, fromName, toName string) []objectDiff {
	keys := make([]string, 0, len(from)+len(to))
	for k := range from {
		keys = append(keys, k)
	}
	for k := range to {
		if _, ok := from[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := []objectDiff{} // -o json prints [] for no change, not null
	for _, k := range keys {
		a, inA := from[k]
		b, inB := to[k]
		if a == b {
			continue
		}
		change := "changed"
		switch {
		case !inA:
			change = "added"
		case !inB:
			change = "removed"
		}
		text, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: difflib.SplitLines(a), B: difflib.SplitLines(b),
			FromFile: fromName + " " + k, ToFile: toName + " " + k, Context: 3,
		})
		out = append(out, objectDiff{Object: k, Change: change, Diff: text})
	}
	return out
}

package options

import (
	"encoding/json"
	"io"
	"slices"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// Output is the -o flag: text (the default human form), json or yaml.
type Output struct {
	Format string
}

var outputFormats = []string{"text", "json", "yaml"}

// AddFlags registers -o/--output.
func (o *Output) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Format, "output", "o", "text", "output format: text, json or yaml")
}

// Validate checks the format name.
func (o *Output) Validate() error {
	if !slices.Contains(outputFormats, o.Format) {
		return Usagef("unknown output format %q: use text, json or yaml", o.Format)
	}
	return nil
}

// Print writes v as JSON or YAML, or calls text for the human form.
func (o *Output) Print(w io.Writer, v any, text func(io.Writer) error) error {
	switch o.Format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return text(w)
}

// CompleteFormats completes -o values.
func CompleteFormats() []string { return outputFormats }

package options

import (
	"github.com/spf13/pflag"

	"github.com/gitless-dev/gitless/pkg/archive"
)

// Limits are the extraction caps (defaults from pkg/archive).
type Limits struct {
	l archive.Limits
}

// AddFlags registers the limit flags.
func (o *Limits) AddFlags(fs *pflag.FlagSet) {
	o.l = archive.DefaultLimits()
	fs.Int64Var(&o.l.MaxCompressedSize, "max-artifact-size", o.l.MaxCompressedSize, "largest content layer to download, in bytes")
	fs.Int64Var(&o.l.MaxExtractedSize, "max-extracted-size", o.l.MaxExtractedSize, "largest total of extracted file sizes, in bytes")
	fs.IntVar(&o.l.MaxEntries, "max-files", o.l.MaxEntries, "most archive entries to extract")
}

// Get returns the limits.
func (o *Limits) Get() archive.Limits { return o.l }

package options

import (
	"github.com/spf13/pflag"

	"github.com/gitless-dev/gitless/pkg/provenance"
)

// Provenance are the flags that shape a SLSA provenance attestation: publish --sign and attest.
type Provenance struct {
	BuilderID string
	SourceRef string
}

// AddFlags registers the provenance flags.
func (o *Provenance) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.BuilderID, "builder-id", provenance.DefaultBuilderID,
		"builder id recorded in the provenance (a CI should pass its own, e.g. its workflow URI)")
	fs.StringVar(&o.SourceRef, "source-ref", "",
		"git ref recorded in the provenance, e.g. refs/heads/main (default: the branch HEAD is on, else a tag at HEAD)")
}

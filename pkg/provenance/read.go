package provenance

import (
	"context"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/signature"
)

// Found is a provenance statement read from a registry, not verified.
type Found struct {
	Provenance
	Format   signature.Format `json:"format"`
	Manifest string           `json:"manifest"`
	// Verified is always false: Read does not check signatures (Verify does).
	Verified bool `json:"verified"`
}

// Read lists subject's SLSA provenance statements in both of cosign's forms without verifying their
// signatures, for display: inspect shows them next to the signatures it lists unchecked.
func Read(ctx context.Context, store signature.Store, subject ocispec.Descriptor) ([]Found, error) {
	atts, err := signature.ReadAttestations(ctx, store, subject, PredicateType)
	if err != nil {
		return nil, err
	}
	var out []Found
	for _, a := range atts {
		p, err := Parse(a.Statement)
		if err != nil {
			continue
		}
		out = append(out, Found{Provenance: *p, Format: a.Format, Manifest: a.Manifest.String()})
	}
	return out, nil
}

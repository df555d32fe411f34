package provenance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// Check reports whether p, a statement already verified as signed under the policy, satisfies req
// for the artifact digest d: d must be one of its subjects, and its source repository, ref and
// builder must match req's globs. The first field that does not match is a *MismatchError.
func (p *Provenance) Check(d digest.Digest, req *config.Provenance) error {
	if !slices.Contains(p.Subjects, d) {
		subjects := make([]string, len(p.Subjects))
		for i, s := range p.Subjects {
			subjects[i] = s.String()
		}
		return &MismatchError{Field: "subject", Got: strings.Join(subjects, ", "), Allowed: []string{d.String()}}
	}
	switch {
	case !req.MatchSource(p.Source.Repository):
		return &MismatchError{Field: "sourceRepositories", Got: p.Source.Repository, Allowed: req.SourceRepositories}
	case !req.MatchRef(p.Source.Ref):
		return &MismatchError{Field: "refs", Got: p.Source.Ref, Allowed: req.Refs}
	case !req.MatchBuilder(p.BuilderID):
		return &MismatchError{Field: "builderIds", Got: p.BuilderID, Allowed: req.BuilderIDs}
	}
	return nil
}

// Verified is an accepted provenance and the attestation that carried it.
type Verified struct {
	Provenance
	Attestation signature.SignatureInfo `json:"attestation"`
}

// Verify finds subject's SLSA provenance attestations in store (both of cosign's forms), verifies
// them with v (the policy's keys or identity) and returns the first whose statement satisfies req.
// Errors: ErrNoProvenance when there is none; ErrProvenanceRefused (with the reasons: the signer, the
// digest, or a *MismatchError naming the field) when none is accepted; transport errors as they come.
func Verify(ctx context.Context, v *signature.Verifier, store signature.Store, subject ocispec.Descriptor, req *config.Provenance) (*Verified, error) {
	if req == nil {
		req = &config.Provenance{}
	}
	atts, err := v.VerifyAttestations(ctx, store, subject, PredicateType)
	if err != nil {
		return nil, err
	}
	var reasons []error
	for _, a := range atts.Valid {
		p, err := Parse(a.Statement)
		if err == nil {
			err = p.Check(subject.Digest, req)
		}
		if err == nil {
			return &Verified{Provenance: *p, Attestation: a.SignatureInfo}, nil
		}
		reasons = append(reasons, fmt.Errorf("%s attestation %s: %w", a.Format, a.Manifest, err))
	}
	for _, r := range atts.Invalid {
		reasons = append(reasons, errors.New(r))
	}
	if len(reasons) == 0 {
		if len(atts.Unreadable) > 0 {
			return nil, fmt.Errorf("reading the provenance attestations of %s: %s", subject.Digest, strings.Join(atts.Unreadable, "; "))
		}
		return nil, fmt.Errorf("%w for %s: attest it with kubectl gitless attest REF --key KEY (or publish --sign), "+
			"or cosign attest --type slsaprovenance1", ErrNoProvenance, subject.Digest)
	}
	if len(reasons) > 3 {
		reasons = append(reasons[:3], fmt.Errorf("and %d more", len(reasons)-3))
	}
	var mm *MismatchError
	if !errors.As(reasons[0], &mm) && len(atts.Valid) == 0 {
		return nil, fmt.Errorf("%w for %s: no provenance attestation verifies under the policy: %w", ErrProvenanceRefused, subject.Digest, errors.Join(reasons...))
	}
	return nil, fmt.Errorf("%w for %s: %w", ErrProvenanceRefused, subject.Digest, errors.Join(reasons...))
}

package provenance

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gitless-dev/gitless/pkg/signature"
)

var (
	// ErrNoProvenance means the artifact has no SLSA provenance attestation at all; it also matches
	// signature.ErrNoSignature (exit 10), as nothing to check was found.
	ErrNoProvenance error = &kindError{msg: "no provenance attestation found", is: signature.ErrNoSignature}
	// ErrProvenanceRefused means attestations exist but none is valid under the policy (signed by
	// another key, for another digest) or none matches its provenance requirement; it also matches
	// signature.ErrNoValidSignature (exit 12).
	ErrProvenanceRefused error = &kindError{msg: "provenance not accepted by the policy", is: signature.ErrNoValidSignature}
	// ErrMalformed means a statement is not an in-toto statement with a SLSA provenance v1 predicate.
	ErrMalformed = errors.New("not a SLSA provenance v1 statement")
)

type kindError struct {
	msg string
	is  error
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.is }

// MismatchError says which field of a provenance statement the policy did not accept; it matches
// ErrProvenanceRefused.
type MismatchError struct {
	// Field is the policy's field (subject, sourceRepositories, refs, builderIds).
	Field string
	// Got is the statement's value; Allowed what the policy accepts.
	Got     string
	Allowed []string
}

func (e *MismatchError) Error() string {
	got := e.Got
	if got == "" {
		got = "(none recorded)"
	}
	return fmt.Sprintf("provenance %s %s is not allowed by the policy (%s: %s)", fieldNoun(e.Field), got, e.Field, strings.Join(e.Allowed, ", "))
}

// Is makes a mismatch a refusal.
func (e *MismatchError) Is(target error) bool {
	return target == ErrProvenanceRefused || errors.Is(ErrProvenanceRefused, target)
}

func fieldNoun(field string) string {
	switch field {
	case "sourceRepositories":
		return "source repository"
	case "refs":
		return "ref"
	case "builderIds":
		return "builder id"
	}
	return field
}

package signature

import (
	"errors"

	"github.com/gitless-dev/gitless/pkg/config"
)

// Exit codes of a verification, as cosign uses them.
const (
	ExitVerified     = 0
	ExitNoSignature  = 10
	ExitTagNotFound  = 11
	ExitNoValid      = 12
	ExitOtherFailure = 1
)

var (
	// ErrNoSignature means no signature of either format exists for the digest (exit 10).
	ErrNoSignature = errors.New("no signature found")
	// ErrTagNotFound means the tag to verify does not exist in the repository (exit 11).
	ErrTagNotFound = errors.New("tag not found")
	// ErrNoValidSignature means signatures exist but none is valid for this digest and policy
	// (exit 12).
	ErrNoValidSignature = errors.New("no valid signature for this digest and policy")
	// ErrTagNotBound means valid signatures exist but none binds the verified tag to the digest; it
	// also matches ErrNoValidSignature (exit 12).
	ErrTagNotBound = &tagNotBoundError{}
	// ErrKeylessNeedsIdentity refuses keyless verification without an issuer and subject.
	ErrKeylessNeedsIdentity = errors.New("keyless verification needs a certificate identity: set an issuer and a subject (exact or regexp)")
	// ErrNoTrust refuses a verifier with neither keys nor a keyless identity.
	ErrNoTrust = errors.New("no public keys or keyless identity to verify with")
	// ErrUnsupported marks an option this package does not implement.
	ErrUnsupported = errors.New("unsupported")
)

type tagNotBoundError struct{}

func (*tagNotBoundError) Error() string {
	return "no valid signature binds this tag to the digest"
}

func (*tagNotBoundError) Is(target error) bool { return target == ErrNoValidSignature }

// ExitCode maps an error from Verify to cosign-like exit codes: 0 verified, 10 no signature,
// 11 tag not found, 12 signatures present but none valid (including an unbound tag and a
// repository no policy covers), 1 anything else, such as a transport failure.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitVerified
	case errors.Is(err, ErrNoSignature):
		return ExitNoSignature
	case errors.Is(err, ErrTagNotFound):
		return ExitTagNotFound
	case errors.Is(err, ErrNoValidSignature), errors.Is(err, config.ErrNoMatchingPolicy):
		return ExitNoValid
	default:
		return ExitOtherFailure
	}
}

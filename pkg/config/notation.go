package config

import (
	"errors"
	"fmt"
	"strings"
)

// Notation verification levels a policy may name. Reference:
// https://github.com/notaryproject/specifications/blob/v1.1.0/specs/trust-store-trust-policy.md#signature-verification-details
const (
	NotationStrict     = "strict"
	NotationPermissive = "permissive"
)

// Notation is the Notary Project trust of a policy: what `notation verify` reads from its trust
// store and trust policy, stated inline for the repositories the policy matches.
type Notation struct {
	// Certificates are trusted root certificates (PEM or DER files, or directories of them, not
	// recursive) of the trust store type TrustStoreType.
	Certificates []string `json:"certificates"`
	// TrustStoreType is "ca" (the default: certificate authorities) or "signingAuthority".
	TrustStoreType string `json:"trustStoreType,omitempty"`
	// TimestampCertificates are trusted timestamping roots ("tsa" trust store): with them a
	// signature whose certificate has expired since it was timestamped still verifies.
	TimestampCertificates []string `json:"timestampCertificates,omitempty"`
	// TrustedIdentities are the signers accepted, "x509.subject: C=US, ST=WA, O=..., CN=..." (the
	// leaf certificate's subject), or "*" for any certificate chaining to Certificates.
	TrustedIdentities []string `json:"trustedIdentities"`
	// VerificationLevel is "strict" (the default, as `notation verify` does) or "permissive"
	// (an expired certificate or an unreachable revocation responder is logged, not refused). The
	// levels audit and skip accept signatures whose signer is not trusted and are refused.
	VerificationLevel string `json:"verificationLevel,omitempty"`
}

// hasCosign reports whether the policy names cosign trust.
func (p *Policy) hasCosign() bool { return len(p.Keys) > 0 || p.Keyless != nil }

// validateKinds checks which kinds of trust a policy names: insecureAcceptUnsigned alone, or keys
// or keyless (not both), with or without Notation, or Notation alone. n counts keys, keyless and
// insecureAcceptUnsigned.
func (p *Policy) validateKinds(n int) error {
	switch {
	case p.InsecureAcceptUnsigned && (n > 1 || p.Notation != nil):
		return errors.New("set exactly one of keys, keyless or insecureAcceptUnsigned: insecureAcceptUnsigned excludes keys, keyless and notation")
	case n > 1:
		return errors.New("set exactly one of keys or keyless (either may go with notation)")
	case n == 0 && p.Notation == nil:
		return errors.New("set exactly one of keys, keyless or insecureAcceptUnsigned, or notation (alone or with keys or keyless)")
	case p.RequireAllKinds && !(p.hasCosign() && p.Notation != nil):
		return errors.New("requireAllKinds needs both cosign trust (keys or keyless) and notation")
	}
	if p.Notation != nil {
		return p.Notation.Validate()
	}
	return nil
}

// Validate checks a Notation trust: certificates, identities and a level that proves who signed.
func (n *Notation) Validate() error {
	if len(n.Certificates) == 0 {
		return errors.New("notation: certificates is required (trusted CA or signing authority certificate files or directories)")
	}
	switch n.TrustStoreType {
	case "", "ca", "signingAuthority":
	default:
		return fmt.Errorf("notation: trustStoreType %q: want ca or signingAuthority", n.TrustStoreType)
	}
	switch n.VerificationLevel {
	case "", NotationStrict, NotationPermissive:
	case "audit", "skip":
		return fmt.Errorf("notation: verificationLevel %q accepts signatures of untrusted signers: use strict or permissive", n.VerificationLevel)
	default:
		return fmt.Errorf("notation: verificationLevel %q: want strict or permissive", n.VerificationLevel)
	}
	if len(n.TrustedIdentities) == 0 {
		return errors.New(`notation: trustedIdentities is required ("x509.subject: C=..., O=..., CN=..." per signer, or "*" for any certificate the trusted roots issued)`)
	}
	for _, id := range n.TrustedIdentities {
		if id != "*" && !strings.HasPrefix(id, "x509.subject:") {
			return fmt.Errorf(`notation: trusted identity %q: want "x509.subject: <distinguished name>" or "*"`, id)
		}
	}
	return nil
}

// Level is the verification level, strict unless set.
func (n *Notation) Level() string {
	if n.VerificationLevel == "" {
		return NotationStrict
	}
	return n.VerificationLevel
}

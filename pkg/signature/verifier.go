package signature

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/gitless-dev/gitless/pkg/config"
)

// Bounds on what one verification examines, so a flood of bogus signatures fails fast.
const (
	// MaxCandidates is how many signature candidates (bundle referrers plus legacy layers) are
	// examined at most per source (see Sources).
	MaxCandidates = 50
	// MaxManifestSize bounds a signature manifest.
	MaxManifestSize = 1 << 20
	// MaxBlobSize bounds a bundle or simple-signing payload.
	MaxBlobSize = 1 << 20
)

// Verifier checks signatures against one trust policy: public keys, a keyless identity, or the
// explicit insecure acceptance of unsigned artifacts. It is safe for concurrent use.
type Verifier struct {
	keys            []*PublicKey
	keyless         *keyless
	notation        *notationTrust
	requireAll      bool
	insecure        bool
	allowUnboundTag bool
	maxCandidates   int
	cache           ResultCache
	logger          *slog.Logger
	trusted         root.TrustedMaterial
	policyHash      string
}

type keyless struct {
	trusted  root.TrustedMaterial
	identity verify.CertificateIdentity
	options  []verify.VerifierOption
}

// VerifierOption configures NewVerifier.
type VerifierOption func(*Verifier)

// WithCache shares a result cache between verifiers; entries are keyed by digest and policy hash.
func WithCache(c ResultCache) VerifierOption { return func(v *Verifier) { v.cache = c } }

// WithAllowUnboundTag accepts a tag reference whose valid signatures bind no tag at all (as plain
// `cosign sign` makes them), as a policy's allowUnboundTags does; every use is logged as a warning.
// A digest whose signatures bind other tags is still refused, and so is a Partial result. Unsafe: a
// registry could then serve any signed digest under this tag.
func WithAllowUnboundTag() VerifierOption { return func(v *Verifier) { v.allowUnboundTag = true } }

// WithLogger sets the logger for warnings (insecure policies); slog.Default otherwise.
func WithLogger(l *slog.Logger) VerifierOption { return func(v *Verifier) { v.logger = l } }

// WithTrustedMaterial supplies the Sigstore trusted root for keyless policies that name no
// trustedRoot file.
func WithTrustedMaterial(tm root.TrustedMaterial) VerifierOption {
	return func(v *Verifier) { v.trusted = tm }
}

// WithMaxCandidates changes MaxCandidates for this verifier.
func WithMaxCandidates(n int) VerifierOption { return func(v *Verifier) { v.maxCandidates = n } }

// NewVerifier builds a verifier for policy p: it loads the policy's keys (files or directories of
// PEM) or its keyless identity and trusted root. Keyless without an identity is refused with
// ErrKeylessNeedsIdentity.
func NewVerifier(p *config.Policy, opts ...VerifierOption) (*Verifier, error) {
	// A tag must be bound by a signature unless the policy opts into unbound tags (Policy.AllowUnboundTags).
	v := &Verifier{maxCandidates: MaxCandidates, logger: slog.Default(), insecure: p.InsecureAcceptUnsigned,
		allowUnboundTag: p.AllowUnboundTags}
	for _, o := range opts {
		o(v)
	}
	h := sha256.New()
	fmt.Fprintln(h, p.Hash())
	switch {
	case p.InsecureAcceptUnsigned:
	case len(p.Keys) > 0:
		keys, err := LoadPublicKeys(p.Keys...)
		if err != nil {
			return nil, err
		}
		v.keys = keys
		for _, k := range keys {
			fmt.Fprintln(h, k.ID) // key contents, not just paths, decide cached results
		}
	case p.Keyless != nil:
		kl, err := v.newKeyless(p.Keyless)
		if err != nil {
			return nil, err
		}
		v.keyless = kl
		if j, err := rootJSON(kl.trusted); err == nil {
			h.Write(j)
		}
	case p.Notation == nil:
		return nil, ErrNoTrust
	}
	if err := v.addNotation(p, h); err != nil {
		return nil, err
	}
	v.policyHash = hex.EncodeToString(h.Sum(nil))
	return v, nil
}

// PolicyHash identifies the policy and the key material it resolved to.
func (v *Verifier) PolicyHash() string { return v.policyHash }

func (v *Verifier) newKeyless(k *config.Keyless) (*keyless, error) {
	if (k.Issuer == "" && k.IssuerRegExp == "") || (k.Subject == "" && k.SubjectRegExp == "") {
		return nil, ErrKeylessNeedsIdentity
	}
	id, err := verify.NewShortCertificateIdentity(k.Issuer, k.IssuerRegExp, k.Subject, k.SubjectRegExp)
	if err != nil {
		return nil, fmt.Errorf("keyless identity: %w", err)
	}
	tm := v.trusted
	if k.TrustedRoot != "" {
		if tm, err = root.NewTrustedRootFromPath(k.TrustedRoot); err != nil {
			return nil, fmt.Errorf("loading trusted root %s: %w", k.TrustedRoot, err)
		}
	}
	if tm == nil {
		return nil, errors.New("keyless verification needs a trusted root: set keyless.trustedRoot (or --trusted-root)")
	}
	return &keyless{trusted: tm, identity: id, options: keylessOptions(tm)}, nil
}

// keylessOptions requires what the trusted root provides: transparency-log entries if it lists
// Rekor logs, SCTs if it lists CT logs, signed timestamps if it lists TSAs; a root with only a
// certificate authority (a private, offline CA) checks certificates at the current time.
func keylessOptions(tm root.TrustedMaterial) []verify.VerifierOption {
	var opts []verify.VerifierOption
	timed := false
	if len(tm.RekorLogs()) > 0 {
		opts = append(opts, verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
		timed = true
	}
	if len(tm.CTLogs()) > 0 {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	if len(tm.TimestampingAuthorities()) > 0 {
		opts = append(opts, verify.WithSignedTimestamps(1))
		timed = true
	}
	if !timed {
		opts = append(opts, verify.WithCurrentTime())
	}
	return opts
}

func rootJSON(tm root.TrustedMaterial) ([]byte, error) {
	if tr, ok := tm.(*root.TrustedRoot); ok {
		return tr.MarshalJSON()
	}
	return nil, errors.New("not a trusted root")
}

// describe names the trust for messages.
func (v *Verifier) describe() string {
	var kinds []string
	switch {
	case v.keyless != nil:
		kinds = append(kinds, "the keyless identity")
	case len(v.keys) > 0:
		src := make([]string, len(v.keys))
		for i, k := range v.keys {
			src[i] = k.Source
		}
		kinds = append(kinds, "keys "+strings.Join(src, ", "))
	}
	if v.notation != nil {
		kinds = append(kinds, "notation certificates "+strings.Join(v.notation.sources, ", "))
	}
	return strings.Join(kinds, " and ")
}

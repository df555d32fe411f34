package signature

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"
)

// Store is where signatures are read: a *remote.Repository, an OCI layout (*oci.Store or
// *oci.ReadOnlyStore), or any mirror-aware wrapper with the same methods.
type Store = oras.ReadOnlyGraphTarget

// Result reports a successful verification; it is shaped for `-o json|yaml`.
type Result struct {
	Repository string        `json:"repository"`
	Digest     digest.Digest `json:"digest"`
	// Tag is the verified tag, empty when verifying by digest.
	Tag string `json:"tag,omitempty"`
	// TagBound reports that a valid signature binds Tag to Digest.
	TagBound bool `json:"tagBound"`
	// Insecure is set when an insecureAcceptUnsigned policy accepted the artifact unchecked.
	Insecure   bool            `json:"insecure,omitempty"`
	Signatures []SignatureInfo `json:"signatures,omitempty"`
	// Cached is set when the result came from the cache.
	Cached bool `json:"cached,omitempty"`
	// Partial says why the signatures found may not be all there are (the registry's list could not
	// be read, or a signature it lists could not be fetched). A partial result can still prove a
	// binding, never the absence of one, so allowUnboundTags does not apply to it.
	Partial []string `json:"partial,omitempty"`
}

// SignatureInfo describes one valid signature.
type SignatureInfo struct {
	Format Format `json:"format"`
	// Manifest is the digest of the signature manifest (bundle referrer or legacy .sig manifest).
	Manifest digest.Digest `json:"manifest"`
	// KeyID is the hex SHA-256 of the verifying public key (key-based signatures).
	KeyID     string `json:"keyId,omitempty"`
	KeySource string `json:"keySource,omitempty"`
	// CertSubject and CertIssuer identify a keyless signer.
	CertSubject string `json:"certSubject,omitempty"`
	CertIssuer  string `json:"certIssuer,omitempty"`
	// BoundTag is the tag this signature binds, if any.
	BoundTag string `json:"boundTag,omitempty"`
	// SignedRepository is the repository named in the signed content (legacy docker-reference,
	// bundle statement subject name), if any.
	SignedRepository string            `json:"signedRepository,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

// boundTags lists the tags bound by signatures made for repository. Hosts are ignored, so a
// binding made on the hub holds on its mirrors, but the path must match: a signature binding
// platform/db:1.0 does not vouch for platform/web:1.0 even when the digests are equal.
func (r *Result) boundTags(repository string) []string {
	var tags []string
	for _, s := range r.Signatures {
		if s.BoundTag != "" && repositoryPath(s.SignedRepository) == repositoryPath(repository) {
			tags = append(tags, s.BoundTag)
		}
	}
	return tags
}

func repositoryPath(repository string) string {
	if _, path, ok := strings.Cut(repository, "/"); ok {
		return path
	}
	return repository
}

// Verify resolves reference (a tag or a digest) in store and verifies the manifest it names, as
// VerifyDescriptor does. A missing tag or digest is ErrTagNotFound.
func (v *Verifier) Verify(ctx context.Context, store Store, repository, reference string) (*Result, error) {
	desc, err := store.Resolve(ctx, reference)
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s:%s", ErrTagNotFound, repository, reference)
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s:%s: %w", repository, reference, err)
	}
	tag := reference
	if _, err := digest.Parse(reference); err == nil {
		tag = ""
	}
	return v.VerifyDescriptor(ctx, store, repository, desc, tag)
}

// VerifyDescriptor verifies the signatures of subject, stored in store for repository
// ("host[:port]/path"). With a non-empty tag, some valid signature must also bind that tag to the
// digest for this repository (see the package documentation), unless the policy sets
// allowUnboundTags (or WithAllowUnboundTag was given) and no valid signature binds any tag. A cached
// result (WithCache) is judged by the same decision (tagVerdict) as a fresh one; when it does not
// accept, the signatures are read afresh, since a tag signed later may be missing from the cache. Errors:
// ErrNoSignature, ErrNoValidSignature, ErrTagNotBound, or a transport error.
func (v *Verifier) VerifyDescriptor(ctx context.Context, store Store, repository string, subject ocispec.Descriptor, tag string) (*Result, error) {
	if v.insecure {
		v.logger.Warn("accepting artifact without verifying signatures (insecureAcceptUnsigned policy)",
			"repository", repository, "digest", subject.Digest, "tag", tag)
		return &Result{Repository: repository, Digest: subject.Digest, Tag: tag, Insecure: true}, nil
	}
	var res *Result
	var cached bool
	if v.cache != nil {
		res, cached = v.cache.Get(subject.Digest, v.policyHash)
	}
	verdict := refused
	if cached {
		verdict = v.tagVerdict(res, repository, tag)
	}
	if verdict == refused {
		var err error
		if res, err = v.verifyAll(ctx, store, subject); err != nil {
			return nil, fmt.Errorf("verifying %s@%s: %w", repository, subject.Digest, err)
		}
		if v.cache != nil {
			v.cache.Put(subject.Digest, v.policyHash, res)
		}
		cached = false
		verdict = v.tagVerdict(res, repository, tag)
	}
	if err := v.explain(verdict, res, repository, tag); err != nil {
		return nil, err
	}
	out := *res
	out.Signatures = slices.Clone(res.Signatures) // the cached result stays untouched
	for i := range out.Signatures {
		out.Signatures[i].Annotations = maps.Clone(out.Signatures[i].Annotations)
	}
	out.Partial = slices.Clone(res.Partial)
	out.Repository, out.Tag, out.Cached = repository, tag, cached
	out.TagBound = verdict == bound
	return &out, nil
}

// verdict is how a tag is vouched for.
type verdict int

const (
	refused  verdict = iota
	byDigest         // no tag: the digest is what was asked for
	bound            // a valid signature for this repository binds the tag
	unbound          // no valid signature binds any tag, and the policy allows unbound tags
)

// tagVerdict decides whether res vouches for tag in repository.
func (v *Verifier) tagVerdict(res *Result, repository, tag string) verdict {
	switch {
	case len(res.Signatures) == 0:
		return refused
	case tag == "":
		return byDigest
	case slices.Contains(res.boundTags(repository), tag):
		return bound
	case v.allowUnboundTag && len(res.Partial) == 0 &&
		!slices.ContainsFunc(res.Signatures, func(s SignatureInfo) bool { return s.BoundTag != "" }):
		return unbound
	}
	return refused
}

// explain turns a verdict into an error, and logs every use of allowUnboundTags.
func (v *Verifier) explain(vd verdict, res *Result, repository, tag string) error {
	switch vd {
	case unbound:
		v.logger.Warn("no signature binds the tag; accepted because the policy sets allowUnboundTags",
			"repository", repository, "tag", tag, "digest", res.Digest)
		return nil
	case refused:
		if len(res.Signatures) == 0 {
			return fmt.Errorf("verifying %s@%s: %w", repository, res.Digest, ErrNoSignature)
		}
		return fmt.Errorf("verifying %s:%s (%s): %w (%s)",
			repository, tag, res.Digest, ErrTagNotBound, v.bindingHint(res, repository))
	}
	return nil
}

// bindingHint says what the signatures bind and what to do about an unbound tag.
func (v *Verifier) bindingHint(res *Result, repository string) string {
	switch {
	case v.allowUnboundTag && len(res.Partial) > 0:
		return "allowUnboundTags does not apply because not every signature could be read (" + strings.Join(res.Partial, "; ") + ")"
	case slices.ContainsFunc(res.Signatures, func(s SignatureInfo) bool { return s.BoundTag != "" }):
		return res.bindingHint(repository)
	}
	return "the signatures bind no tag (plain cosign sign): verify by digest, sign the tag with kubectl gitless sign REPOSITORY:TAG, or set allowUnboundTags: true in the policy"
}

// candidate is one signature to check; check returns its description or why it is invalid.
// upstream marks a candidate the registry itself listed.
type candidate struct {
	format   Format
	upstream bool
	check    func(ctx context.Context) (*SignatureInfo, error)
}

// verifyAll checks the candidates of every source and returns every valid signature. A candidate
// that cannot be fetched from any source is skipped (logged); when the registry itself listed it, the
// result is Partial. Only when nothing else was found does a fetch failure become the error.
func (v *Verifier) verifyAll(ctx context.Context, store Store, subject ocispec.Descriptor) (*Result, error) {
	g, err := v.candidates(ctx, store, subject)
	if err != nil {
		return nil, err
	}
	res := &Result{Digest: subject.Digest, Partial: g.partial}
	var invalids, failures []error
	for _, c := range g.cands {
		info, err := c.check(ctx)
		if err != nil {
			var inv *invalidError
			if errors.As(err, &inv) {
				invalids = append(invalids, fmt.Errorf("%s: %w", c.format, err))
				continue
			}
			if ctx.Err() != nil {
				return nil, err
			}
			v.logger.Warn("signature skipped: it cannot be fetched", "format", c.format, "error", err)
			if c.upstream {
				failures = append(failures, err)
				res.Partial = append(res.Partial, fmt.Sprintf("a listed %s signature could not be fetched", c.format))
			}
			continue
		}
		info.Format = c.format
		res.Signatures = append(res.Signatures, *info)
	}
	switch {
	case len(res.Signatures) > 0:
		return res, v.missingKind(res)
	case len(invalids) > 0:
		return nil, fmt.Errorf("%w: %d signature(s) examined with %s: %w", ErrNoValidSignature, len(invalids), v.describe(), errors.Join(firstN(invalids, 3)...))
	case len(failures) > 0: // transport failures are not verdicts
		return nil, errors.Join(firstN(failures, 3)...)
	}
	return nil, ErrNoSignature
}

func firstN(errs []error, n int) []error {
	if len(errs) > n {
		return append(errs[:n:n], fmt.Errorf("and %d more", len(errs)-n))
	}
	return errs
}

// invalidError marks a signature that was read but does not verify, as opposed to a failure to
// read it.
type invalidError struct{ err error }

func (e *invalidError) Error() string { return e.err.Error() }
func (e *invalidError) Unwrap() error { return e.err }

func invalid(format string, args ...any) error {
	return &invalidError{fmt.Errorf(format, args...)}
}

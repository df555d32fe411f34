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
// digest (see the package documentation), unless WithAllowUnboundTag was given and no valid
// signature binds any tag. Errors: ErrNoSignature, ErrNoValidSignature, ErrTagNotBound, or a
// transport error.
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
	if !cached || !v.tagAccepted(res, repository, tag) { // a re-signed tag may be newer than the cache
		var err error
		if res, err = v.verifyAll(ctx, store, subject); err != nil {
			return nil, fmt.Errorf("verifying %s@%s: %w", repository, subject.Digest, err)
		}
		if v.cache != nil {
			v.cache.Put(subject.Digest, v.policyHash, res)
		}
		cached = false
	}
	if !v.tagAccepted(res, repository, tag) {
		return nil, fmt.Errorf("verifying %s:%s (%s): %w (%s)",
			repository, tag, subject.Digest, ErrTagNotBound, res.bindingHint(repository))
	}
	out := *res
	out.Signatures = slices.Clone(res.Signatures) // the cached result stays untouched
	for i := range out.Signatures {
		out.Signatures[i].Annotations = maps.Clone(out.Signatures[i].Annotations)
	}
	out.Repository, out.Tag, out.Cached = repository, tag, cached
	out.TagBound = tag != "" && slices.Contains(res.boundTags(repository), tag)
	return &out, nil
}

// tagAccepted reports whether res vouches for tag: no tag (verification by digest), a signature
// binding it, or WithAllowUnboundTag and no binding at all.
func (v *Verifier) tagAccepted(res *Result, repository, tag string) bool {
	if tag == "" {
		return true
	}
	bound := res.boundTags(repository)
	if slices.Contains(bound, tag) {
		return true
	}
	if v.allowUnboundTag && !slices.ContainsFunc(res.Signatures, func(s SignatureInfo) bool { return s.BoundTag != "" }) {
		v.logger.Warn("no signature binds the tag; accepted because the policy does not set requireTagBinding",
			"repository", repository, "tag", tag)
		return true
	}
	return false
}

// candidate is one signature to check; check returns its description or why it is invalid.
type candidate struct {
	format Format
	check  func(ctx context.Context) (*SignatureInfo, error)
}

// verifyAll checks up to maxCandidates signatures, bundles first, and returns every valid one.
func (v *Verifier) verifyAll(ctx context.Context, store Store, subject ocispec.Descriptor) (*Result, error) {
	cands, err := v.candidates(ctx, store, subject)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		return nil, ErrNoSignature
	}
	res := &Result{Digest: subject.Digest}
	var errs []error
	for _, c := range cands {
		info, err := c.check(ctx)
		if err != nil {
			var inv *invalidError
			if !errors.As(err, &inv) { // transport failures are not verdicts
				return nil, err
			}
			errs = append(errs, fmt.Errorf("%s: %w", c.format, err))
			continue
		}
		info.Format = c.format
		res.Signatures = append(res.Signatures, *info)
	}
	if len(res.Signatures) == 0 {
		return nil, fmt.Errorf("%w: %d signature(s) examined with %s: %w", ErrNoValidSignature, len(cands), v.describe(), errors.Join(firstN(errs, 3)...))
	}
	return res, nil
}

// candidates gathers at most maxCandidates signatures: bundles first, then legacy layers.
func (v *Verifier) candidates(ctx context.Context, store Store, subject ocispec.Descriptor) ([]candidate, error) {
	bundles, sigRefs, err := listReferrers(ctx, store, subject)
	if err != nil {
		return nil, err
	}
	if len(bundles) >= v.maxCandidates {
		return v.bundleCandidates(store, subject, bundles[:v.maxCandidates]), nil
	}
	cands := v.bundleCandidates(store, subject, bundles)
	manifests, err := legacyManifests(ctx, store, subject, sigRefs)
	if err != nil {
		return nil, err
	}
	for i, m := range manifests {
		if len(cands) >= v.maxCandidates || i >= v.maxCandidates { // empty manifests count too
			break
		}
		legacy, err := v.legacyCandidates(ctx, store, subject, m, v.maxCandidates-len(cands))
		if err != nil {
			return nil, err
		}
		cands = append(cands, legacy...)
	}
	return cands, nil
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

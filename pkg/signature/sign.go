package signature

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// Format is a signature storage format.
type Format string

// Signature storage formats.
const (
	// FormatBundle is a Sigstore bundle stored as an OCI 1.1 referrer (cosign v3's default).
	FormatBundle Format = "bundle"
	// FormatLegacy is cosign v2's "sha256-<hex>.sig" tag of simple-signing payloads.
	FormatLegacy Format = "legacy"
)

// Media types and annotation keys of cosign's formats.
const (
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// SignatureArtifactType marks cosign's legacy signatures stored as OCI 1.1 referrers
	// (`cosign sign --registry-referrers-mode=oci-1-1`); read, never written.
	SignatureArtifactType   = "application/vnd.dev.cosign.artifact.sig.v1+json"
	SimpleSigningMediaType  = "application/vnd.dev.cosign.simplesigning.v1+json"
	SignatureAnnotation     = "dev.cosignproject.cosign/signature"
	CertificateAnnotation   = "dev.sigstore.cosign/certificate"
	ChainAnnotation         = "dev.sigstore.cosign/chain"
	BundleContentAnnotation = "dev.sigstore.bundle.content"
	BundlePredicateTypeAnno = "dev.sigstore.bundle.predicateType"
	// CosignSignPredicateType is the in-toto predicate type cosign uses for image signatures.
	CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	// TagAnnotation is the signed key that binds a tag to the signed digest.
	TagAnnotation     = "dev.gitless.tag"
	inTotoPayloadType = "application/vnd.in-toto+json"
)

type signOptions struct {
	format      Format
	tag         string
	annotations map[string]string
	rekorURL    string
	envelope    string
}

// SignOption configures Sign.
type SignOption func(*signOptions)

// WithFormat selects the storage format; FormatBundle is the default.
func WithFormat(f Format) SignOption { return func(o *signOptions) { o.format = f } }

// WithTag binds tag to the subject's digest inside the signed content. Sign checks that the tag
// currently resolves to the subject in target.
func WithTag(tag string) SignOption { return func(o *signOptions) { o.tag = tag } }

// WithAnnotations adds signed annotations (legacy: the payload's "optional" map; bundle: the
// statement's predicate).
func WithAnnotations(a map[string]string) SignOption {
	return func(o *signOptions) { o.annotations = a }
}

// WithTlogUpload asks for a transparency-log upload to the Rekor at url. Not implemented yet:
// Sign returns ErrUnsupported when it is set.
func WithTlogUpload(url string) SignOption { return func(o *signOptions) { o.rekorURL = url } }

// Sign signs subject (a manifest in repository "host[:port]/path") and stores the signature in
// target, returning the descriptor of the signature manifest. Nothing leaves the machine except
// the pushes to target.
func Sign(ctx context.Context, target oras.Target, signer *Signer, repository string, subject ocispec.Descriptor, opts ...SignOption) (ocispec.Descriptor, error) {
	o := signOptions{format: FormatBundle}
	for _, opt := range opts {
		opt(&o)
	}
	if signer == nil {
		return ocispec.Descriptor{}, errors.New("signing: no signer (load one with LoadSigner)")
	}
	if err := signer.fits(o.format); err != nil {
		return ocispec.Descriptor{}, err
	}
	if o.rekorURL != "" {
		return ocispec.Descriptor{}, fmt.Errorf("transparency-log upload: %w", ErrUnsupported)
	}
	if err := subject.Digest.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("signing %s: %w", repository, err)
	}
	if o.tag != "" {
		if err := checkTag(ctx, target, o.tag, subject.Digest); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	subject = ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	switch o.format {
	case FormatBundle:
		return signBundle(ctx, target, signer, repository, subject, &o)
	case FormatLegacy:
		return signLegacy(ctx, target, signer, repository, subject, &o)
	case FormatNotation:
		return signNotation(ctx, target, signer, repository, subject, &o)
	default:
		return ocispec.Descriptor{}, fmt.Errorf("signature format %q: %w (use %q, %q or %q)", o.format, ErrUnsupported, FormatBundle, FormatLegacy, FormatNotation)
	}
}

// SignReference resolves reference (a tag or a digest) in target and signs the manifest it
// names, as Sign does; a tag reference is always bound (WithTag). It returns the signed subject
// and the signature manifest.
func SignReference(ctx context.Context, target oras.Target, signer *Signer, repository, reference string, opts ...SignOption) (subject, sig ocispec.Descriptor, err error) {
	subject, err = target.Resolve(ctx, reference)
	if err != nil {
		return subject, sig, fmt.Errorf("resolving %s:%s: %w", repository, reference, err)
	}
	if _, err := digest.Parse(reference); err != nil {
		opts = append(opts, WithTag(reference))
	}
	sig, err = Sign(ctx, target, signer, repository, subject, opts...)
	return subject, sig, err
}

func checkTag(ctx context.Context, target content.Resolver, tag string, want digest.Digest) error {
	got, err := target.Resolve(ctx, tag)
	if err != nil {
		return fmt.Errorf("resolving tag %s to bind it: %w", tag, err)
	}
	if got.Digest != want {
		return fmt.Errorf("binding tag %s: it points to %s, not the signed %s", tag, got.Digest, want)
	}
	return nil
}

// signedAnnotations merges user annotations with the tag binding, which always wins.
func (o *signOptions) signedAnnotations() map[string]string {
	if len(o.annotations) == 0 && o.tag == "" {
		return nil
	}
	m := make(map[string]string, len(o.annotations)+1)
	for k, v := range o.annotations {
		m[k] = v
	}
	if o.tag != "" {
		m[TagAnnotation] = o.tag
	}
	return m
}

func pushBlob(ctx context.Context, target content.Pusher, mediaType string, b []byte) (ocispec.Descriptor, error) {
	desc := content.NewDescriptorFromBytes(mediaType, b)
	if err := target.Push(ctx, desc, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return ocispec.Descriptor{}, fmt.Errorf("pushing %s: %w", mediaType, err)
	}
	return desc, nil
}

// fetchLimited reads a blob or manifest after checking its declared size, and verifies its digest.
func fetchLimited(ctx context.Context, f content.Fetcher, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit || desc.Size < 0 {
		return nil, invalid("%s is %d bytes, over the %d byte limit", desc.Digest, desc.Size, limit)
	}
	rc, err := f.Fetch(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	b, err := content.ReadAll(io.LimitReader(rc, desc.Size+1), desc)
	if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &invalidError{err}
	}
	return b, err
}

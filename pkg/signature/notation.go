package signature

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"

	coresig "github.com/notaryproject/notation-core-go/signature"
	// Both Notary Project envelope formats, registered for signature.ParseEnvelope.
	_ "github.com/notaryproject/notation-core-go/signature/cose"
	_ "github.com/notaryproject/notation-core-go/signature/jws"

	corex509 "github.com/notaryproject/notation-core-go/x509"
	"github.com/notaryproject/notation-go"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/config"
)

// FormatNotation is a Notary Project signature (JWS or COSE envelope) stored as an OCI 1.1
// referrer, as `notation sign` writes it.
const FormatNotation Format = "notation"

// Media types and annotations of Notary Project signatures.
// Reference: https://github.com/notaryproject/specifications/blob/v1.1.0/specs/signature-specification.md#storage
const (
	// NotationArtifactType is the signature manifest's config media type (and so its artifact type).
	NotationArtifactType = "application/vnd.cncf.notary.signature"
	// NotationJWSMediaType and NotationCOSEMediaType are the envelope layer's media types.
	NotationJWSMediaType  = "application/jose+json"
	NotationCOSEMediaType = "application/cose"
	// NotationThumbprintAnnotation lists the SHA-256 thumbprints of the signing certificate chain.
	NotationThumbprintAnnotation = "io.cncf.notary.x509chain.thumbprint#S256"
	// RepositoryAnnotation names the signed repository ("host/path") in a Notation payload's user
	// metadata, beside TagAnnotation, so a Notation signature can bind a tag as gitless's cosign
	// signatures do.
	RepositoryAnnotation = "dev.gitless.repository"
)

// notationTrustStore is the named trust store all of one policy's Notation certificates live in.
const notationTrustStore = "gitless"

// notationTrust verifies Notation envelopes with notation-go's verifier, configured from a
// policy's notation entry (an inline trust policy document and an in-memory trust store).
type notationTrust struct {
	verifier notation.Verifier
	sources  []string
}

// newNotationTrust loads the certificates of n and builds notation-go's verifier for them. The
// trust policy's registry scope is "*": which repositories the policy covers is decided by the
// gitless policy's match, before the verifier is built.
func newNotationTrust(n *config.Notation, h func(string)) (*notationTrust, error) {
	store := memTrustStore{}
	storeType := truststore.Type(n.TrustStoreType)
	if storeType == "" {
		storeType = truststore.TypeCA
	}
	stores := []string{string(storeType) + ":" + notationTrustStore}
	var sources []string
	for _, set := range []struct {
		typ   truststore.Type
		paths []string
	}{{storeType, n.Certificates}, {truststore.TypeTSA, n.TimestampCertificates}} {
		for _, p := range set.paths {
			certs, files, err := readCertificates(p)
			if err != nil {
				return nil, err
			}
			store[set.typ] = append(store[set.typ], certs...)
			sources = append(sources, files...)
			for _, c := range certs {
				sum := sha256.Sum256(c.Raw)
				h(string(set.typ) + " " + hex.EncodeToString(sum[:]))
			}
		}
	}
	sv := trustpolicy.SignatureVerification{VerificationLevel: n.Level()}
	if len(store[truststore.TypeTSA]) > 0 {
		stores = append(stores, "tsa:"+notationTrustStore)
		sv.VerifyTimestamp = trustpolicy.OptionAfterCertExpiry
	}
	doc := &trustpolicy.Document{Version: "1.0", TrustPolicies: []trustpolicy.TrustPolicy{{
		Name: "gitless", RegistryScopes: []string{"*"}, SignatureVerification: sv,
		TrustStores: stores, TrustedIdentities: n.TrustedIdentities,
	}}}
	v, err := verifier.New(doc, store, nil)
	if err != nil {
		return nil, fmt.Errorf("notation trust policy: %w", err)
	}
	return &notationTrust{verifier: v, sources: sources}, nil
}

// memTrustStore implements notation-go's X509TrustStore over certificates read from the policy's
// files.
type memTrustStore map[truststore.Type][]*x509.Certificate

func (m memTrustStore) GetCertificates(_ context.Context, t truststore.Type, name string) ([]*x509.Certificate, error) {
	if name != notationTrustStore || len(m[t]) == 0 {
		return nil, truststore.TrustStoreError{Msg: fmt.Sprintf("no %s certificates in the policy's notation trust", t)}
	}
	return m[t], nil
}

// readCertificates reads PEM or DER certificates from a file, or from every regular file of a
// directory (not recursive).
func readCertificates(path string) ([]*x509.Certificate, []string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading notation certificates: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, nil, fmt.Errorf("reading notation certificates: %w", err)
		}
		files = files[:0]
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(files)
	}
	var certs []*x509.Certificate
	for _, f := range files {
		c, err := corex509.ReadCertificateFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("reading notation certificate %s (PEM or DER): %w", f, err)
		}
		certs = append(certs, c...)
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("reading notation certificates: none in %s", path)
	}
	return certs, files, nil
}

// notationScope stands for the repository in the reference given to notation-go's verifier, whose
// trust policy has the single scope "*": the gitless policy that built it already matched the
// repository, and a store (an OCI layout) need not have a registry name.
const notationScope = "gitless.invalid/artifact"

// addNotation sets up the Notation trust of p, if any, and hashes its certificates into h.
func (v *Verifier) addNotation(p *config.Policy, h io.Writer) error {
	v.requireAll = p.RequireAllKinds
	if p.Notation == nil || p.InsecureAcceptUnsigned {
		return nil
	}
	nt, err := newNotationTrust(p.Notation, func(s string) { fmt.Fprintln(h, s) })
	if err != nil {
		return err
	}
	v.notation = nt
	return nil
}

func (v *Verifier) notationCandidate(store Store, subject, ref ocispec.Descriptor, upstream bool) candidate {
	return candidate{format: FormatNotation, upstream: upstream, check: func(ctx context.Context) (*SignatureInfo, error) {
		mediaType, envelope, err := fetchNotation(ctx, store, subject, ref)
		if err != nil {
			return nil, err
		}
		info, err := v.notation.check(ctx, subject, mediaType, envelope)
		if err != nil {
			return nil, invalid("signature %s: %w", ref.Digest, err)
		}
		info.Manifest = ref.Digest
		return info, nil
	}}
}

// fetchNotation reads a Notation signature manifest and its one envelope layer.
func fetchNotation(ctx context.Context, store content.Fetcher, subject, ref ocispec.Descriptor) (string, []byte, error) {
	mb, err := fetchLimited(ctx, store, ref, MaxManifestSize)
	if err != nil {
		return "", nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return "", nil, invalid("decoding notation signature manifest %s: %w", ref.Digest, err)
	}
	switch {
	case m.Subject == nil || m.Subject.Digest != subject.Digest:
		return "", nil, invalid("notation signature manifest %s does not refer to %s", ref.Digest, subject.Digest)
	case m.Config.MediaType != NotationArtifactType && m.ArtifactType != NotationArtifactType:
		return "", nil, invalid("manifest %s is not a notation signature (config %s)", ref.Digest, m.Config.MediaType)
	case len(m.Layers) != 1 || (m.Layers[0].MediaType != NotationJWSMediaType && m.Layers[0].MediaType != NotationCOSEMediaType):
		return "", nil, invalid("notation signature manifest %s: want exactly one %s or %s layer", ref.Digest, NotationJWSMediaType, NotationCOSEMediaType)
	}
	b, err := fetchLimited(ctx, store, m.Layers[0], MaxBlobSize)
	return m.Layers[0].MediaType, b, err
}

// check verifies one envelope for subject with notation-go's verifier (integrity, authenticity
// against the trust store and identities, expiry, revocation, the signed descriptor) and reads the
// signer's subject and the gitless tag binding from its user metadata.
func (n *notationTrust) check(ctx context.Context, subject ocispec.Descriptor, mediaType string, envelope []byte) (*SignatureInfo, error) {
	if n == nil {
		return nil, errors.New("the policy accepts no notation signatures (add a notation entry)")
	}
	target := ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	outcome, err := n.verifier.Verify(ctx, target, envelope, notation.VerifierVerifyOptions{
		ArtifactReference:  notationScope + "@" + subject.Digest.String(),
		SignatureMediaType: mediaType,
	})
	if err != nil {
		return nil, notationReason(outcome, err)
	}
	info := &SignatureInfo{}
	if ec := outcome.EnvelopeContent; ec != nil && len(ec.SignerInfo.CertificateChain) > 0 {
		info.CertSubject = ec.SignerInfo.CertificateChain[0].Subject.String()
		info.CertIssuer = ec.SignerInfo.CertificateChain[0].Issuer.String()
	}
	if md, err := outcome.UserMetadata(); err == nil && len(md) > 0 {
		info.Annotations = md
		info.BoundTag, info.SignedRepository = md[TagAnnotation], md[RepositoryAnnotation]
	}
	return info, nil
}

// notationReason keeps notation-go's own wording ("the signature's certificate chain does not
// contain any trusted certificate", "content descriptor mismatch", an expired certificate) and
// names the Notary Project check that failed (integrity, authenticity, expiry, revocation).
func notationReason(outcome *notation.VerificationOutcome, err error) error {
	var vf notation.ErrorVerificationFailed
	if errors.As(err, &vf) && vf.Msg != "" {
		err = errors.New(vf.Msg)
	}
	if outcome == nil {
		return err
	}
	for _, r := range outcome.VerificationResults {
		if r != nil && r.Error != nil && r.Action == trustpolicy.ActionEnforce {
			return fmt.Errorf("%s check failed: %w", r.Type, err)
		}
	}
	return err
}

// missingKind refuses res when the policy requires a valid signature of every kind it names
// (requireAllKinds) and one kind has none; otherwise one valid signature of any accepted kind is
// enough.
func (v *Verifier) missingKind(res *Result) error {
	if !v.requireAll {
		return nil
	}
	has := func(formats ...Format) bool {
		return slices.ContainsFunc(res.Signatures, func(s SignatureInfo) bool { return slices.Contains(formats, s.Format) })
	}
	for _, k := range []struct {
		name    string
		formats []Format
	}{{"cosign", []Format{FormatBundle, FormatLegacy}}, {"notation", []Format{FormatNotation}}} {
		if !has(k.formats...) {
			return fmt.Errorf("%w: the policy requires a signature of every kind it names (requireAllKinds) and no valid %s signature was found: sign with that kind too, or remove requireAllKinds", ErrNoValidSignature, k.name)
		}
	}
	return nil
}

// NotationSigner reads the Notation signature manifest ref of subject and returns the subject of
// its signing certificate, unverified: it says who claims to have signed, for inspect, not whether
// a policy accepts it (Verify decides that).
func NotationSigner(ctx context.Context, store content.Fetcher, subject, ref ocispec.Descriptor) (string, error) {
	mediaType, b, err := fetchNotation(ctx, store, subject, ref)
	if err != nil {
		return "", err
	}
	env, err := coresig.ParseEnvelope(mediaType, b)
	if err != nil {
		return "", fmt.Errorf("parsing notation envelope %s: %w", ref.Digest, err)
	}
	c, err := env.Content()
	if err != nil {
		return "", fmt.Errorf("reading notation envelope %s: %w", ref.Digest, err)
	}
	if len(c.SignerInfo.CertificateChain) == 0 {
		return "", fmt.Errorf("notation envelope %s carries no certificate", ref.Digest)
	}
	return c.SignerInfo.CertificateChain[0].Subject.String(), nil
}

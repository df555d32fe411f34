// Package verify is the signature step of the sidecar's pipeline (package cmp) built on package
// signature: cosign and Notation signatures, the signed tag binding, and the policy's provenance.
// Importing it registers it with cmp.RegisterVerifier. It lives apart from package cmp because the
// signature libraries' initialisation costs every process that links them; argocd-cmp leaves them
// out and starts gitless-verify, which imports this package, only when the cache cannot answer.
package verify

import (
	"context"

	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/signature"
)

func init() { cmp.RegisterVerifier(InProcess{}) }

// InProcess verifies in the calling process.
type InProcess struct{}

// Verify checks the signatures of req.Desc under req.Policy (and, for a tag, the signed tag binding),
// then the provenance the policy requires. Signature results are cached by (digest, policy hash),
// never by tag; a cached result is accepted only by the verifier's own decision.
func (InProcess) Verify(ctx context.Context, req *cmp.VerifyRequest) (*cmp.Accepted, error) {
	opts := []signature.VerifierOption{signature.WithLogger(req.Log)}
	if req.Cache != nil {
		opts = append(opts, signature.WithCache(resultCache{req.Cache, req.Log}))
	}
	v, err := signature.NewVerifier(req.Policy, opts...)
	if err != nil {
		return nil, err
	}
	res, err := v.VerifyDescriptor(ctx, sourcesStore{req.Store, req.Sources}, req.Ref.Name(), req.Desc, req.Ref.Tag)
	if err != nil {
		return nil, err // names the reference and digest already
	}
	a := &cmp.Accepted{Signatures: len(res.Signatures), TagBound: res.TagBound,
		UnboundTag: req.Ref.Tag != "" && !res.TagBound && !res.Insecure}
	if res.Cached {
		req.Log.Debug("signature result from the cache", "policy", req.Policy.Match)
	}
	if a.Provenance, err = checkProvenance(ctx, v, req); err != nil {
		return nil, err
	}
	return a, nil
}

// sourcesStore is the pipeline's store with its sources listed one by one (signature.Sources).
type sourcesStore struct {
	oras.ReadOnlyGraphTarget
	sources []cmp.Source
}

func (s sourcesStore) SignatureSources() []signature.Source {
	out := make([]signature.Source, len(s.sources))
	for i, src := range s.sources {
		out[i] = signature.Source{Name: src.Name, Store: src.Store, Upstream: src.Upstream, Skipped: src.Skipped}
	}
	return out
}

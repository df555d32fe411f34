package cmp

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Verifier is the signature step of Generate: it returns nil only when the policy accepts Desc as
// the content of Ref (a valid signature, the signed tag binding for a tag, and the provenance the
// policy requires). Package cmp/verify implements it with the signature libraries; argocd-cmp runs
// that implementation in a child process (VerifyInChild), so that its own start-up, paid on every
// refresh of every Application, does not include those libraries' initialisation.
type Verifier interface {
	Verify(ctx context.Context, req *VerifyRequest) (*Accepted, error)
}

// VerifyRequest is one question to a Verifier.
type VerifyRequest struct {
	Ref     registry.Reference
	Project string
	Policy  *config.Policy
	Desc    ocispec.Descriptor
	// Store reads through every source (zone mirrors, then the registry), each object checked by
	// its digest.
	Store oras.ReadOnlyGraphTarget
	// Sources are the same sources one by one, the registry first, so that signatures are listed in
	// each on its own.
	Sources []Source
	// Cache keeps verification results by (digest, policy); nil keeps none.
	Cache *cache.Cache
	Log   *slog.Logger
}

// Source is one place signatures are listed in: a zone mirror or the registry itself.
type Source struct {
	Name  string
	Store registry.Repository
	// Upstream marks the registry itself.
	Upstream bool
	// Skipped is told of what this source failed to list or serve.
	Skipped func(desc ocispec.Descriptor, err error)
}

// Accepted is what a Verifier reports of an acceptance, kept with the acceptance in the cache so that
// a warm generate logs what a cold one did.
type Accepted struct {
	// Signatures counts the valid signatures.
	Signatures int `json:"signatures"`
	// TagBound reports that a valid signature binds the tag; false for a digest, and for a tag the
	// policy's allowUnboundTags let through (logged as a warning on every use).
	TagBound bool `json:"tagBound"`
	// UnboundTag reports a tag accepted under allowUnboundTags.
	UnboundTag bool `json:"unboundTag,omitempty"`
	// Provenance summarises the accepted provenance, when the policy requires one.
	Provenance map[string]string `json:"provenance,omitempty"`
}

// registered is the in-process Verifier, set by package cmp/verify when a binary imports it.
var registered atomic.Pointer[Verifier]

// RegisterVerifier makes Generate verify in this process with v when the Pipeline names no Verifier.
// Package cmp/verify calls it from its init, as package render/helm registers the Helm renderer.
func RegisterVerifier(v Verifier) { registered.Store(&v) }

// verify answers whether policy accepts desc for ref: from an acceptance the cache holds for the same
// policy, key material, repository and tag (see acceptanceKey), else from the Verifier, whose
// acceptance is then cached. The cached answer is the Verifier's own decision for the same question.
func (p *Pipeline) verify(ctx context.Context, src *sources, ref registry.Reference, project string, policy *config.Policy, desc ocispec.Descriptor, log *slog.Logger) error {
	key := acceptanceKey(policy, ref)
	if p.Cache != nil && key != "" {
		if b, ok := p.Cache.Verified(desc.Digest, key); ok {
			var a Accepted
			if json.Unmarshal(b, &a) == nil {
				logAccepted(log, policy, &a, true)
				return nil
			}
		}
	}
	v := p.Verifier
	if v == nil {
		if r := registered.Load(); r != nil {
			v = *r
		}
	}
	if v == nil {
		return ErrNoVerifier
	}
	req := &VerifyRequest{Ref: ref, Project: project, Policy: policy, Desc: desc, Store: src,
		Sources: src.signatureSources(), Cache: p.Cache, Log: log}
	a, err := v.Verify(ctx, req)
	if err != nil {
		return err
	}
	logAccepted(log, policy, a, false)
	if p.Cache != nil && key != "" {
		if b, err := json.Marshal(a); err == nil {
			if err := p.Cache.MarkVerified(desc.Digest, key, b); err != nil {
				log.Warn("caching the acceptance", "error", err)
			}
		}
	}
	return nil
}

// logAccepted logs an acceptance, and every use of allowUnboundTags, cached or not.
func logAccepted(log *slog.Logger, policy *config.Policy, a *Accepted, cached bool) {
	if a.UnboundTag && cached {
		log.Warn("no signature binds the tag; accepted because the policy sets allowUnboundTags")
	}
	msg := "verified"
	if cached {
		msg = "verified (cached)"
	}
	log.Info(msg, "policy", policy.Match, "signatures", a.Signatures, "tagBound", a.TagBound)
	if a.Provenance != nil && cached { // a fresh one is logged by the verifier, with more detail
		log.Info("provenance verified (cached)", "source", a.Provenance["source"], "ref", a.Provenance["ref"])
	}
}

// signatureSources lists the sources one by one, the registry first.
func (s *sources) signatureSources() []Source {
	out := make([]Source, 0, len(s.endpoints))
	for _, e := range s.ordered() {
		name := e.name
		out = append(out, Source{Name: name, Store: e.repo, Upstream: e.upstream,
			Skipped: func(desc ocispec.Descriptor, err error) { s.skip(name, desc, err) }})
	}
	return out
}

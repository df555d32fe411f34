package signature

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry"
)

// Source is one place signatures are listed in: a zone mirror or the registry itself.
type Source struct {
	// Name identifies the source in logs ("host[:port]").
	Name  string
	Store Store
	// Upstream marks the registry itself (the hub). Its list is read whenever it answers; when it
	// cannot be read, or a signature it lists cannot be fetched, the result is Partial.
	Upstream bool
	// Skipped, when set, is told of what this source failed to list or serve (desc is the subject
	// or the signature manifest) instead of a warning per failure, so a caller can summarise them.
	Skipped func(desc ocispec.Descriptor, err error)
}

// skip reports a failure of src: to src.Skipped when set, else as a warning.
func (v *Verifier) skip(src Source, msg string, desc ocispec.Descriptor, err error) {
	if src.Skipped != nil {
		src.Skipped(desc, err)
		return
	}
	v.logger.Warn(msg, "source", src.Name, "digest", desc.Digest.String(), "error", err)
}

// Sources is implemented by a Store that combines several sources (zone mirrors before the registry).
// The verifier then lists signatures in each source on its own, capped per source before anything
// is fetched, so that no source can hide or crowd out another's signatures; every listed object is
// fetched through the combined Store, which checks digests and tries the next source.
type Sources interface {
	SignatureSources() []Source
}

// sourcesOf lists the sources of store, upstream first; a plain Store is its own upstream.
func sourcesOf(store Store) []Source {
	ms, ok := store.(Sources)
	if !ok {
		return []Source{{Store: store, Upstream: true}}
	}
	var up, down []Source
	for _, s := range ms.SignatureSources() {
		if s.Upstream {
			up = append(up, s)
		} else {
			down = append(down, s)
		}
	}
	return append(up, down...)
}

// listed is what one source lists for a subject: bundle referrers (declared ones first), then
// manifests that may hold legacy simple-signing layers (the .sig tag, then cosign OCI 1.1
// signature referrers).
type listed struct {
	bundles, legacy, notations []ocispec.Descriptor
}

// listSource lists one source, keeping at most max referrers of the kinds that can hold a signature.
func listSource(ctx context.Context, store Store, subject ocispec.Descriptor, max int) (*listed, error) {
	bundles, sigs, notations, err := listReferrers(ctx, store, subject, max)
	if err != nil {
		return nil, err
	}
	legacy, err := legacyManifests(ctx, store, subject, sigs)
	if err != nil {
		return nil, err
	}
	return &listed{bundles: bundles, legacy: legacy, notations: notations}, nil
}

// errEnough stops a referrers listing once the cap is reached.
var errEnough = errors.New("enough referrers")

// referrers lists the subject's referrers that could be signatures, at most max of them: through the
// referrers API (or the tag schema) when the store offers it, stopping at the cap or at the store's
// page limit, else through the store's predecessors (an OCI layout on disk).
func referrers(ctx context.Context, store Store, subject ocispec.Descriptor, max int) ([]ocispec.Descriptor, error) {
	rl, ok := store.(registry.ReferrerLister)
	if !ok {
		refs, err := registry.Referrers(ctx, store, subject, "")
		return capped(refs, max), err
	}
	var refs []ocispec.Descriptor
	err := rl.Referrers(ctx, subject, "", func(page []ocispec.Descriptor) error {
		refs = append(refs, capped(page, max-len(refs))...)
		if len(refs) >= max {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) || errors.Is(err, errdef.ErrTooManyPages) {
		err = nil // a source that lists more than the cap gets no more attention than the cap
	}
	return refs, err
}

// capped keeps the first max descriptors that could be signatures.
func capped(refs []ocispec.Descriptor, max int) []ocispec.Descriptor {
	var out []ocispec.Descriptor
	for _, r := range refs {
		if len(out) >= max {
			break
		}
		switch r.ArtifactType {
		case BundleMediaType, "", ocispec.MediaTypeEmptyJSON, SignatureArtifactType, NotationArtifactType:
			out = append(out, r)
		}
	}
	return out
}

// gathered are the candidates of every source, and why the set may be incomplete.
type gathered struct {
	cands   []candidate
	partial []string
}

// candidates gathers the signatures to check: each source is listed on its own and contributes at
// most maxCandidates candidates (bundles first, then legacy layers); an object listed by several
// sources is checked once, attributed to the first (upstream first). A source whose list cannot be
// read is skipped; only when no source answers is that an error.
func (v *Verifier) candidates(ctx context.Context, store Store, subject ocispec.Descriptor) (*gathered, error) {
	g := &gathered{}
	seen := map[digest.Digest]bool{}
	var errs []error
	answered := 0
	srcs := sourcesOf(store)
	for _, src := range srcs {
		l, err := listSource(ctx, src.Store, subject, v.maxCandidates)
		if err != nil {
			errs = append(errs, sourceError(src, err))
			if src.Upstream {
				g.partial = append(g.partial, fmt.Sprintf("the signature list of %s could not be read", orName(src.Name)))
			}
			if len(srcs) > 1 {
				v.skip(src, "signature source skipped", subject, err)
			}
			continue
		}
		answered++
		g.add(v.sourceCandidates(ctx, store, subject, src, l, seen))
	}
	if answered == 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

// sourceCandidates turns one source's list into at most maxCandidates candidates.
func (v *Verifier) sourceCandidates(ctx context.Context, store Store, subject ocispec.Descriptor, src Source, l *listed, seen map[digest.Digest]bool) *gathered {
	g := &gathered{}
	budget := v.maxCandidates
	for _, ref := range l.bundles {
		if budget == 0 {
			return g
		}
		if !seen[ref.Digest] {
			seen[ref.Digest] = true
			g.cands = append(g.cands, v.bundleCandidate(store, subject, ref, src.Upstream))
			budget--
		}
	}
	for _, m := range l.legacy {
		if budget == 0 {
			return g
		}
		if seen[m.Digest] {
			continue
		}
		seen[m.Digest] = true
		budget-- // an empty manifest costs a fetch too
		legacy, err := v.legacyCandidates(ctx, store, subject, m, budget+1, src.Upstream)
		if err != nil { // listed but not fetchable from any source: skip it, it proves nothing either way
			v.skip(src, "signature manifest skipped", m, err)
			if src.Upstream {
				g.partial = append(g.partial, fmt.Sprintf("signature manifest %s listed by %s could not be read", m.Digest, orName(src.Name)))
			}
			continue
		}
		if len(legacy) > 0 {
			budget -= len(legacy) - 1
		}
		g.cands = append(g.cands, legacy...)
	}
	for _, ref := range l.notations {
		if budget == 0 {
			return g
		}
		if !seen[ref.Digest] {
			seen[ref.Digest] = true
			g.cands = append(g.cands, v.notationCandidate(store, subject, ref, src.Upstream))
			budget--
		}
	}
	return g
}

func (g *gathered) add(o *gathered) {
	g.cands = append(g.cands, o.cands...)
	g.partial = append(g.partial, o.partial...)
}

func sourceError(src Source, err error) error {
	if src.Name == "" {
		return err
	}
	return fmt.Errorf("%s: %w", src.Name, err)
}

func orName(name string) string {
	if name == "" {
		return "the registry"
	}
	return name
}

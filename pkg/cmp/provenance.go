package cmp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// checkProvenance applies the policy's provenance requirement, after the signature check and before
// anything is fetched or rendered: a SLSA provenance attestation signed under the same policy's keys or
// identity, for this digest, from an allowed source, ref and builder. An accepted provenance is cached
// by (digest, policy) like a verification, so a pinned, cached digest still needs no network.
func (p *Pipeline) checkProvenance(ctx context.Context, src *sources, policy *config.Policy, desc ocispec.Descriptor, log *slog.Logger) error {
	if policy.Provenance == nil {
		return nil
	}
	v, err := signature.NewVerifier(policy, signature.WithLogger(log))
	if err != nil {
		return err
	}
	key := provenanceCacheKey(v.PolicyHash())
	if p.Cache != nil {
		if b, ok := p.Cache.Verified(desc.Digest, key); ok {
			var got provenance.Verified
			if json.Unmarshal(b, &got) == nil && got.Check(desc.Digest, policy.Provenance) == nil {
				log.Info("provenance verified (cached)", "source", got.Source.Repository, "ref", got.Source.Ref)
				return nil
			}
		}
	}
	got, err := provenance.Verify(ctx, v, src, desc, policy.Provenance)
	if err != nil {
		return err
	}
	log.Info("provenance verified", "source", got.Source.Repository, "revision", got.Source.Revision,
		"ref", got.Source.Ref, "builder", got.BuilderID)
	if p.Cache != nil {
		if b, err := json.Marshal(got); err == nil {
			if err := p.Cache.MarkVerified(desc.Digest, key, b); err != nil {
				log.Warn("caching provenance", "error", err)
			}
		}
	}
	return nil
}

func provenanceCacheKey(policyHash string) string {
	h := sha256.Sum256([]byte("provenance\n" + policyHash))
	return hex.EncodeToString(h[:])
}

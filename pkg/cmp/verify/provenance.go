package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// checkProvenance applies the policy's provenance requirement, after the signature check and before
// anything is fetched or rendered: a SLSA provenance attestation signed under the same policy's keys or
// identity, for this digest, from an allowed source, ref and builder. An accepted provenance is cached
// by (digest, policy) like a verification, so a pinned, cached digest still needs no network. It
// returns nil when the policy requires none.
func checkProvenance(ctx context.Context, v *signature.Verifier, req *cmp.VerifyRequest) (map[string]string, error) {
	policy, desc, log := req.Policy, req.Desc, req.Log
	if policy.Provenance == nil {
		return nil, nil
	}
	key := provenanceCacheKey(v.PolicyHash())
	if req.Cache != nil {
		if b, ok := req.Cache.Verified(desc.Digest, key); ok {
			var got provenance.Verified
			if json.Unmarshal(b, &got) == nil && got.Check(desc.Digest, policy.Provenance) == nil {
				return summary(&got), nil
			}
		}
	}
	got, err := provenance.Verify(ctx, v, sourcesStore{req.Store, req.Sources}, desc, policy.Provenance)
	if err != nil {
		return nil, err
	}
	log.Info("provenance verified", "source", got.Source.Repository, "revision", got.Source.Revision,
		"ref", got.Source.Ref, "builder", got.BuilderID)
	if req.Cache != nil {
		if b, err := json.Marshal(got); err == nil {
			if err := req.Cache.MarkVerified(desc.Digest, key, b); err != nil {
				log.Warn("caching provenance", "error", err)
			}
		}
	}
	return summary(got), nil
}

func summary(got *provenance.Verified) map[string]string {
	return map[string]string{"source": got.Source.Repository, "ref": got.Source.Ref, "builder": got.BuilderID}
}

func provenanceCacheKey(policyHash string) string {
	h := sha256.Sum256([]byte("provenance\n" + policyHash))
	return hex.EncodeToString(h[:])
}

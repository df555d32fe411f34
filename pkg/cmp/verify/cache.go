package verify

import (
	"encoding/json"
	"log/slog"

	"github.com/opencontainers/go-digest"

	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// resultCache keeps verification results on disk for the Verifier (signature.WithCache): the cache
// stores results only, and the Verifier alone decides what a result vouches for.
type resultCache struct {
	cache *cache.Cache
	log   *slog.Logger
}

func (c resultCache) Get(d digest.Digest, policyHash string) (*signature.Result, bool) {
	b, ok := c.cache.Verified(d, policyHash)
	if !ok {
		return nil, false
	}
	var res signature.Result
	if err := json.Unmarshal(b, &res); err != nil || res.Digest != d {
		return nil, false
	}
	return &res, true
}

func (c resultCache) Put(d digest.Digest, policyHash string, r *signature.Result) {
	b, err := json.Marshal(r)
	if err == nil {
		err = c.cache.MarkVerified(d, policyHash, b)
	}
	if err != nil {
		c.log.Warn("caching verification", "error", err)
	}
}

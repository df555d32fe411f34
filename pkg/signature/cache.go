package signature

import (
	"sync"

	"github.com/opencontainers/go-digest"
)

// ResultCache stores successful verification results by (digest, policy hash), never by tag.
// Implementations must be safe for concurrent use; the sidecar layers a disk cache behind one.
type ResultCache interface {
	Get(d digest.Digest, policyHash string) (*Result, bool)
	Put(d digest.Digest, policyHash string, r *Result)
}

// Cache holds successful verification results in memory, keyed by (digest, policy hash) and
// never by tag: a tag can move, a digest cannot. Failures are not cached, so a signature added
// later is seen at once. A nil *Cache caches nothing.
type Cache struct {
	mu      sync.Mutex
	max     int
	entries map[cacheKey]*Result
	order   []cacheKey
}

type cacheKey struct {
	digest digest.Digest
	policy string
}

// NewCache returns a cache of at most max results, evicting the oldest first.
func NewCache(max int) *Cache {
	return &Cache{max: max, entries: make(map[cacheKey]*Result)}
}

// Len reports how many results are cached.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Get returns the cached result for d under policy.
func (c *Cache) Get(d digest.Digest, policy string) (*Result, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.entries[cacheKey{d, policy}]
	return r, ok
}

// Put caches r for d under policy, evicting the oldest entry when full.
func (c *Cache) Put(d digest.Digest, policy string, r *Result) {
	if c == nil || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey{d, policy}
	if _, ok := c.entries[k]; !ok {
		c.order = append(c.order, k)
	}
	c.entries[k] = r
	for len(c.order) > c.max {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
}

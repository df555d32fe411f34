// Package testregistry starts real OCI registries in-process on 127.0.0.1 for tests:
// go-containerregistry's registry with the referrers API, and CNCF Distribution, which has none
// (so clients must use the referrers tag schema). Both can be wrapped to inject faults.
package testregistry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // storage driver for NewDistribution
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/sirupsen/logrus"
)

// Kind names a registry implementation.
type Kind string

const (
	// Referrers is go-containerregistry's in-process registry with the OCI 1.1 referrers API.
	Referrers Kind = "ggcr-referrers"
	// Distribution is CNCF Distribution v3 with in-memory storage; it has no referrers API.
	Distribution Kind = "distribution"
)

// Kinds lists every registry kind, for table-driven tests that must pass on each.
var Kinds = []Kind{Referrers, Distribution}

// Registry is a running test registry.
type Registry struct {
	Kind Kind
	// Host is "127.0.0.1:PORT", usable as the registry part of a reference (plain HTTP).
	Host     string
	URL      string
	server   *httptest.Server
	requests atomic.Int64
	mu       sync.Mutex
	wrap     func(http.Handler) http.Handler
	deletes  bool
}

// Option configures a test registry.
type Option func(*Registry)

// WithMiddleware wraps the registry handler, for fault injection (failures, throttling, lying blobs).
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(r *Registry) { r.wrap = mw }
}

// WithDeletes lets Distribution delete manifests and blobs (its default refuses, with 405), for tests
// that remove something from a registry behind gitless's back.
func WithDeletes() Option { return func(r *Registry) { r.deletes = true } }

// New starts a registry of the given kind and stops it when the test ends.
func New(t testing.TB, kind Kind, opts ...Option) *Registry {
	t.Helper()
	r := &Registry{Kind: kind}
	for _, o := range opts {
		o(r)
	}
	var h http.Handler
	switch kind {
	case Referrers:
		h = ggcr.New(ggcr.WithReferrersSupport(true), ggcr.Logger(discardLogger()))
	case Distribution:
		h = newDistribution(t, r.deletes)
	default:
		t.Fatalf("unknown registry kind %q", kind)
	}
	if r.wrap != nil {
		h = r.wrap(h)
	}
	counted := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		h.ServeHTTP(w, req)
	})
	r.server = httptest.NewServer(counted)
	t.Cleanup(r.server.Close)
	r.URL = r.server.URL
	r.Host = strings.TrimPrefix(r.server.URL, "http://")
	return r
}

// Requests reports how many HTTP requests the registry has served.
func (r *Registry) Requests() int64 { return r.requests.Load() }

// Close stops the registry early (to simulate an unreachable hub).
func (r *Registry) Close() { r.server.Close() }

func newDistribution(t testing.TB, deletes bool) http.Handler {
	t.Helper()
	logrus.SetLevel(logrus.ErrorLevel)
	logrus.SetOutput(io.Discard)
	cfg := &configuration.Configuration{}
	// Deletes stay disabled unless asked for, as in Distribution's default configuration (and many
	// registries' policies): nothing gitless does may depend on deleting.
	cfg.Storage = configuration.Storage{"inmemory": configuration.Parameters{}}
	if deletes {
		cfg.Storage["delete"] = configuration.Parameters{"enabled": true}
	}
	cfg.Log.Level = "error"
	cfg.Log.AccessLog.Disabled = true
	cfg.HTTP.Secret = "gitless-test-secret"
	app := handlers.NewApp(context.Background(), cfg)
	return app
}

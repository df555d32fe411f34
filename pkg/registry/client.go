// Package registry opens repositories in OCI registries and image layouts with one set of access
// options (credentials from the docker config and its helpers, TLS, plain HTTP, retries and timeouts),
// and maps transport failures onto distinct, actionable errors.
package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Repository is what every command reads and writes: a remote repository or an OCI image layout.
// Both implement the oras-go graph target (fetch, push, resolve, tag, predecessors) and list tags.
type Repository interface {
	oras.GraphTarget
	Tags(ctx context.Context, last string, fn func(tags []string) error) error
}

// Options are the registry access settings shared by every command and by the sidecar.
type Options struct {
	PlainHTTP             bool
	CAFile                string
	InsecureSkipTLSVerify bool
	// Username and Password, when set, take precedence over the docker credential store.
	Username, Password string
	// CredentialHost binds Username and Password to one registry host[:port]; other hosts use the
	// docker credential store. Empty binds them to whichever host is opened (one registry per command).
	CredentialHost string
	// DockerConfig is a docker config.json path; empty means $DOCKER_CONFIG or ~/.docker/config.json.
	DockerConfig string
	// Anonymous sends no credentials at all (not Username/Password, not the docker config): the
	// sidecar's choice for a registry whose credentials are scoped to other Argo CD projects.
	Anonymous bool
	// RequestTimeout bounds each attempt of an HTTP request by inactivity: the wait for the response
	// headers, and then each wait for more of the body. A download that keeps arriving is not cut off.
	RequestTimeout time.Duration
	// MaxRetries bounds retries of 5xx, 429 and dropped connections; Retry-After is honoured up to MaxWait.
	MaxRetries int
	MaxWait    time.Duration
	UserAgent  string
}

// DefaultOptions returns the defaults used by the CLI and the sidecar.
func DefaultOptions() Options {
	return Options{RequestTimeout: 30 * time.Second, MaxRetries: 4, MaxWait: 10 * time.Second, UserAgent: "gitless"}
}

// Open returns the repository named by ref: an OCI image layout (created on first write) or a remote
// repository. It makes no network request.
func (o Options) Open(ref Reference) (Repository, error) {
	if ref.IsLayout() {
		store, err := oci.New(ref.Layout)
		if err != nil {
			return nil, fmt.Errorf("opening OCI layout %s: %w", ref.Layout, err)
		}
		return store, nil
	}
	return o.Remote(ref.Registry + "/" + ref.Repository)
}

// Remote returns a remote repository for name (host/repo) with these options.
func (o Options) Remote(name string) (*remote.Repository, error) {
	repo, err := remote.NewRepository(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidReference, name, err)
	}
	client, err := o.AuthClient(repo.Reference.Registry)
	if err != nil {
		return nil, err
	}
	repo.Client = client
	repo.PlainHTTP = o.PlainHTTP
	// On a registry without the referrers API, adding a referrer (a signature, an attestation, an SBOM)
	// replaces the sha256-<hex> referrers index tag, and oras-go then deletes the old index. Registries
	// that refuse deletes (Distribution's default configuration, Harbor's immutable-artifact rules)
	// answer 405/403, failing a push that succeeded. The old index is left untagged, for the registry's
	// own garbage collection, as `oras attach --skip-delete` leaves it.
	repo.SkipReferrersGC = true
	return repo, nil
}

// AuthClient builds the HTTP client for host: TLS settings, retries with backoff, and credentials.
// Explicit credentials are bound to host alone, and oras-go's auth.Client drops the Authorization header
// once a redirect leaves the first request's scheme, host and port (net/http alone compares host names
// only), so storage behind a blob redirect never receives them (TestRedirectDropsCredentials).
func (o Options) AuthClient(host string) (*auth.Client, error) {
	transport, err := o.transport()
	if err != nil {
		return nil, err
	}
	cred, err := o.credentialFunc(host)
	if err != nil {
		return nil, err
	}
	client := &auth.Client{
		// No http.Client.Timeout: it would also bound reading a large blob; transport() bounds each
		// request by inactivity instead, and the caller's context bounds the whole operation.
		Client:     &http.Client{Transport: transport},
		Cache:      auth.NewCache(),
		Credential: cred,
		Header:     http.Header{"User-Agent": {o.userAgent()}},
	}
	return client, nil
}

func (o Options) userAgent() string {
	if o.UserAgent == "" {
		return "gitless"
	}
	return o.UserAgent
}

func (o Options) transport() (http.RoundTripper, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipTLSVerify} //nolint:gosec // opt-in flag
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("reading CA file %s: no PEM certificates found", o.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.RequestTimeout,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return downTransport{base: idleTimeout{base: base, d: o.RequestTimeout}, policy: func() retry.Policy { return o.retryPolicy() }}, nil
}

func (o Options) credentialFunc(host string) (auth.CredentialFunc, error) {
	if o.Anonymous {
		return nil, nil
	}
	if (o.Username != "" || o.Password != "") && (o.CredentialHost == "" || o.CredentialHost == host) {
		return auth.StaticCredential(host, auth.Credential{Username: o.Username, Password: o.Password}), nil
	}
	opts := credentials.StoreOptions{DetectDefaultNativeStore: true}
	var store credentials.Store
	var err error
	switch {
	case o.DockerConfig != "":
		store, err = credentials.NewStore(o.DockerConfig, opts)
	case os.Getenv("DOCKER_CONFIG") == "" && !hasHome():
		// a sidecar running as an arbitrary uid without $HOME has no docker config: anonymous access
		return nil, nil
	default:
		store, err = credentials.NewStoreFromDocker(opts)
	}
	if err != nil {
		return nil, fmt.Errorf("reading docker credentials: %w", err)
	}
	return credentials.Credential(store), nil
}

func isTLSError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var recordErr tls.RecordHeaderError
	return errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &recordErr)
}

func hasHome() bool {
	_, err := os.UserHomeDir()
	return err == nil
}

package registry

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"

	"oras.land/oras-go/v2/registry/remote/retry"
)

// downHint is the next step for a registry that is down; it names no flag, so the CLI and the
// sidecar share it.
const downHint = "the registry or the load balancer in front of it is not serving: try again later, " +
	"or read a mirror's copy where the mirror rules allow it"

// downError is a registry that is down as a load balancer shows it: the connection closed without a
// response or reset, or a 502/503/504 that outlasted the retries. Classify reports it as
// ErrUnreachable, so the mirror rules (a pinned digest from a mirror, a mirror's tag within
// mirrorTagFreshness) apply as they do to a refused connection.
type downError struct {
	seen  string
	tries int
}

func (e *downError) Error() string {
	if e.tries <= 1 {
		return e.seen
	}
	return fmt.Sprintf("%s after %d tries", e.seen, e.tries)
}

// downTransport retries like retry.Transport (under policy) and turns the outcomes that mean "down"
// into a downError naming what was seen and how often it was tried. Other responses and errors pass
// through unchanged; a 500 stays a server error, not an unreachable registry.
type downTransport struct {
	base   http.RoundTripper
	policy func() retry.Policy
}

func (t downTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tries := 0
	counted := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		tries++
		return t.base.RoundTrip(r)
	})
	resp, err := (&retry.Transport{Base: counted, Policy: t.policy}).RoundTrip(req)
	if err != nil {
		if seen := downSeen(err); seen != "" && req.Context().Err() == nil {
			return nil, &downError{seen: seen, tries: tries}
		}
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // a load balancer's error page
		resp.Body.Close()
		return nil, &downError{seen: resp.Status, tries: tries}
	}
	return resp, nil
}

// downSeen names a transport error that means the registry is down, or returns "".
func downSeen(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return "connection closed without a response (EOF)"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed in the middle of a response (unexpected EOF)"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset without a response"
	}
	return ""
}

// retryable is oras-go's default predicate plus a connection closed without a response (io.EOF),
// which net/http retries on its own only for a reused connection.
func retryable(resp *http.Response, err error) (bool, error) {
	if err != nil && errors.Is(err, io.EOF) {
		return true, nil
	}
	return retry.DefaultPredicate(resp, err)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

package registry

import (
	"net/http"
	"strconv"
	"time"

	"oras.land/oras-go/v2/registry/remote/retry"
)

// retryPolicy retries what oras-go's default predicate retries (5xx, 429, 408, dropped connections)
// and a connection closed without a response, with exponential backoff, honouring Retry-After (seconds or an HTTP date) on 429 and 503 up to MaxWait.
func (o Options) retryPolicy() retry.Policy {
	maxWait := o.MaxWait
	if maxWait <= 0 {
		maxWait = 10 * time.Second
	}
	exp := retry.ExponentialBackoff(250*time.Millisecond, 2, 0.1)
	return &retry.GenericPolicy{
		Retryable: retryable,
		Backoff: func(attempt int, resp *http.Response) time.Duration {
			if d, ok := retryAfter(resp, time.Now()); ok {
				return d
			}
			return exp(attempt, resp)
		},
		MinWait:  0,
		MaxWait:  maxWait,
		MaxRetry: o.MaxRetries,
	}
}

// retryAfter reads the Retry-After header of a throttling or unavailable response.
// Reference: https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

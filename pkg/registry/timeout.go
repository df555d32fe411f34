package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// idleTimeout bounds each request by inactivity: the response headers must arrive within d
// (http.Transport.ResponseHeaderTimeout) and then the body must deliver a byte at least every d.
// Unlike http.Client.Timeout, it does not cut off a large blob that is still arriving steadily.
type idleTimeout struct {
	base http.RoundTripper
	d    time.Duration
}

func (t idleTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.d <= 0 {
		return t.base.RoundTrip(req)
	}
	ctx, cancel := context.WithCancel(req.Context())
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	b := &idleBody{rc: resp.Body, cancel: cancel, d: t.d}
	b.timer = time.AfterFunc(t.d, b.expire)
	resp.Body = b
	return resp, nil
}

type idleBody struct {
	rc      io.ReadCloser
	cancel  context.CancelFunc
	d       time.Duration
	timer   *time.Timer
	mu      sync.Mutex
	expired bool
}

func (b *idleBody) expire() {
	b.mu.Lock()
	b.expired = true
	b.mu.Unlock()
	b.cancel()
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.d)
	}
	if err != nil && err != io.EOF {
		b.mu.Lock()
		expired := b.expired
		b.mu.Unlock()
		if expired {
			// os.ErrDeadlineExceeded is a net.Error timeout, which Classify reports as unreachable
			return n, fmt.Errorf("no data from the registry for %s: %w", b.d, os.ErrDeadlineExceeded)
		}
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	defer b.cancel()
	return b.rc.Close()
}

// Package cache is the sidecar's digest-addressed store on its own /tmp volume: blobs (manifests,
// layers) kept read-only after their digest was checked and re-checked on every read, verification
// results keyed by (digest, policy hash) and never by tag, one download per digest across concurrent
// processes (a lock file per digest), and LRU eviction under a size bound. A write goes to a temporary
// file renamed into place, so a kill -9 mid-download never leaves a usable corrupt entry.
package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"
)

// DefaultVerificationTTL is how long a verification marker counts when New is not given
// WithVerificationTTL: long enough that a busy zone re-checks signatures a few times an hour rather
// than on every sync, short enough that a removed (revoked) signature stops counting soon after.
const DefaultVerificationTTL = 10 * time.Minute

// DefaultStaleAfter is the age beyond which New sweeps temporary and lock files whose owner may
// still be alive, when New is not given WithStaleAfter.
const DefaultStaleAfter = time.Hour

// clockSkew tolerates markers stamped slightly in the future (a clock step); beyond it a marker is
// not trusted, so it cannot stay fresh forever.
const clockSkew = time.Minute

// Cache is a directory of content-addressed blobs and verification markers.
type Cache struct {
	dir             string
	maxSize         int64
	verificationTTL time.Duration
	staleAfter      time.Duration
}

// Option configures New.
type Option func(*Cache)

// WithVerificationTTL sets how long a verification marker counts (0 = DefaultVerificationTTL); an
// older marker is ignored and removed, so the signature is checked again.
func WithVerificationTTL(d time.Duration) Option {
	return func(c *Cache) {
		if d > 0 {
			c.verificationTTL = d
		}
	}
}

// WithStaleAfter sets the age beyond which New removes leftover temporary and unheld lock files even
// when the process that made them may still be alive (0 = DefaultStaleAfter). The sidecar passes its
// total timeout: no generate lives longer.
func WithStaleAfter(d time.Duration) Option {
	return func(c *Cache) {
		if d > 0 {
			c.staleAfter = d
		}
	}
}

// New opens (creating) a cache in dir bounded to maxSize bytes of blobs (0 = 1 GiB). It refuses a
// directory that another user could write to or that is a symlink (ErrUnsafeDir), and sweeps what
// killed processes left behind: temporary files and unheld lock files.
func New(dir string, maxSize int64, opts ...Option) (*Cache, error) {
	if maxSize <= 0 {
		maxSize = 1 << 30
	}
	c := &Cache{dir: dir, maxSize: maxSize, verificationTTL: DefaultVerificationTTL, staleAfter: DefaultStaleAfter}
	for _, o := range opts {
		o(c)
	}
	if err := safeDir(dir); err != nil {
		return nil, err
	}
	for _, d := range []string{"blobs", "verified", "locks", "tmp", "contact"} {
		if err := safeDir(filepath.Join(dir, d)); err != nil {
			return nil, err
		}
	}
	c.sweep()
	return c, nil
}

func (c *Cache) blobPath(d digest.Digest) string {
	return filepath.Join(c.dir, "blobs", d.Algorithm().String()+"-"+d.Encoded())
}

// Fetch opens the cached blob for desc after checking it still has desc's size and digest; a corrupt
// entry is removed and reported as not found. It implements content.Fetcher, so the cache can be the
// first source of a fetch.
func (c *Cache) Fetch(_ context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, err
	}
	p := c.blobPath(desc.Digest)
	if err := checkFile(p, desc); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			os.Remove(p)
		}
		return nil, fmt.Errorf("%s: %w", desc.Digest, errdef.ErrNotFound)
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // LRU: the modification time is the last use
	return os.Open(p)
}

// Has reports whether desc is cached and intact.
func (c *Cache) Has(desc ocispec.Descriptor) bool {
	return checkFile(c.blobPath(desc.Digest), desc) == nil
}

func checkFile(p string, desc ocispec.Descriptor) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != desc.Size {
		return fmt.Errorf("size %d, want %d", fi.Size(), desc.Size)
	}
	v := desc.Digest.Verifier()
	if _, err := io.Copy(v, f); err != nil {
		return err
	}
	if !v.Verified() {
		return errors.New("digest mismatch")
	}
	return nil
}

// Store copies the file at src (already checked by the caller) into the cache as desc, re-checking it.
func (c *Cache) Store(desc ocispec.Descriptor, src string) error {
	if err := desc.Digest.Validate(); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return c.StoreReader(desc, in)
}

// StoreReader writes r into the cache as desc through a temporary file, keeping it only if it matches.
func (c *Cache) StoreReader(desc ocispec.Descriptor, r io.Reader) error {
	tmp, err := c.createTemp("blob")
	if err != nil {
		return fmt.Errorf("caching %s: %w", desc.Digest, err)
	}
	defer os.Remove(tmp.Name())
	v := desc.Digest.Verifier()
	n, err := io.Copy(io.MultiWriter(tmp, v), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("caching %s: %w", desc.Digest, err)
	}
	if n != desc.Size || !v.Verified() {
		return fmt.Errorf("caching %s: content does not match its digest", desc.Digest)
	}
	if err := os.Chmod(tmp.Name(), 0o400); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), c.blobPath(desc.Digest)); err != nil {
		return fmt.Errorf("caching %s: %w", desc.Digest, err)
	}
	return c.evict()
}

// Lock takes the per-digest lock, so concurrent generates download a digest once. The returned
// function releases it. The lock is an flock on a file: it is released when a process dies.
func (c *Cache) Lock(ctx context.Context, d digest.Digest) (func(), error) {
	p := filepath.Join(c.dir, "locks", d.Encoded())
	for {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", d, err)
		}
		if err := flock(ctx, f); err != nil {
			f.Close()
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, fmt.Errorf("locking %s: %w", d, err)
		}
		if samePath(f, p) {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		f.Close() // a sweep removed the file between the open and the lock: lock the one now at p
	}
}

// flock waits for an exclusive flock on f until ctx ends.
func flock(ctx context.Context, f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil || !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// samePath reports whether the open file f is still the file at p.
func samePath(f *os.File, p string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(p)
	return err == nil && os.SameFile(a, b)
}

// createTemp creates a temporary file in the cache named for this process, so a sweep can tell
// whether its writer is gone.
func (c *Cache) createTemp(kind string) (*os.File, error) {
	return os.CreateTemp(filepath.Join(c.dir, "tmp"), TempPattern(kind+"-"))
}

// MarkVerified records that digest d satisfied the policy with hash policyHash, with the result as JSON.
func (c *Cache) MarkVerified(d digest.Digest, policyHash string, result []byte) error {
	dir := filepath.Join(c.dir, "verified", policyHash)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := c.createTemp("verified")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(result); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, d.Algorithm().String()+"-"+d.Encoded()))
}

// Verified returns the recorded result when digest d was verified under policyHash within the
// verification TTL.
func (c *Cache) Verified(d digest.Digest, policyHash string) ([]byte, bool) {
	if d.Validate() != nil {
		return nil, false
	}
	p := filepath.Join(c.dir, "verified", policyHash, d.Algorithm().String()+"-"+d.Encoded())
	fi, err := os.Stat(p)
	if err != nil {
		return nil, false
	}
	if !fresh(fi.ModTime(), c.verificationTTL) {
		os.Remove(p) // expired: the signature is checked again, so a removed one stops counting
		return nil, false
	}
	b, err := os.ReadFile(p)
	return b, err == nil
}

// fresh reports whether a marker stamped at t is younger than ttl (and not from the future).
func fresh(t time.Time, ttl time.Duration) bool {
	age := time.Since(t)
	return age < ttl && age > -clockSkew
}

// evict removes the least recently used blobs until the total is within the bound.
func (c *Cache) evict() error {
	entries, err := os.ReadDir(filepath.Join(c.dir, "blobs"))
	if err != nil {
		return err
	}
	type blob struct {
		path string
		size int64
		used time.Time
	}
	var blobs []blob
	var total int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		blobs = append(blobs, blob{filepath.Join(c.dir, "blobs", e.Name()), fi.Size(), fi.ModTime()})
		total += fi.Size()
	}
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].used.Before(blobs[j].used) })
	for _, b := range blobs {
		if total <= c.maxSize {
			break
		}
		if os.Remove(b.path) == nil {
			total -= b.size
		}
	}
	return nil
}

// Descriptor returns the descriptor of the cached object with digest d (its media type read from the
// document when it is a manifest), so a pinned digest can be served without asking a registry.
func (c *Cache) Descriptor(d digest.Digest) (ocispec.Descriptor, bool) {
	if d.Validate() != nil {
		return ocispec.Descriptor{}, false
	}
	p := c.blobPath(d)
	fi, err := os.Stat(p)
	if err != nil || fi.Size() > 4<<20 {
		return ocispec.Descriptor{}, false
	}
	b, err := os.ReadFile(p)
	if err != nil || digest.FromBytes(b) != d {
		return ocispec.Descriptor{}, false
	}
	var probe struct {
		MediaType    string `json:"mediaType"`
		ArtifactType string `json:"artifactType"`
	}
	_ = json.Unmarshal(b, &probe)
	mt := probe.MediaType
	if mt == "" {
		mt = ocispec.MediaTypeImageManifest
	}
	return ocispec.Descriptor{MediaType: mt, ArtifactType: probe.ArtifactType, Digest: d, Size: fi.Size()}, true
}

// MarkContact records that host answered now (the sidecar's last successful tag lookup at the hub).
func (c *Cache) MarkContact(host string) error {
	p := c.contactPath(host)
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		return err
	}
	now := time.Now()
	return os.Chtimes(p, now, now)
}

// LastContact returns when host last answered, if it ever did. A marker stamped in the future (beyond
// a small clock skew) is ignored: it would make a mirror's tag answers acceptable indefinitely.
func (c *Cache) LastContact(host string) (time.Time, bool) {
	fi, err := os.Stat(c.contactPath(host))
	if err != nil || time.Until(fi.ModTime()) > clockSkew {
		return time.Time{}, false
	}
	return fi.ModTime(), true
}

func (c *Cache) contactPath(host string) string {
	return filepath.Join(c.dir, "contact", digest.FromString(host).Encoded())
}

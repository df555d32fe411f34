package cache

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func desc(b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(b), Size: int64(len(b))}
}

func TestStoreFetchAndRecheck(t *testing.T) {
	c, err := New(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello")
	d := desc(data)
	if _, err := c.Fetch(context.Background(), d); err == nil {
		t.Fatal("fetch of a missing blob succeeded")
	}
	if err := c.StoreReader(d, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	rc, err := c.Fetch(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("got %q", got)
	}
	// a blob corrupted on disk (read-only or not) is detected on read, removed, and reported missing
	p := c.blobPath(d.Digest)
	os.Chmod(p, 0o600)
	os.WriteFile(p, []byte("jello"), 0o600)
	if _, err := c.Fetch(context.Background(), d); err == nil {
		t.Fatal("corrupt blob served")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("corrupt blob left in place")
	}
}

func TestStoreRefusesWrongBytes(t *testing.T) {
	c, _ := New(t.TempDir(), 0)
	d := desc([]byte("right"))
	if err := c.StoreReader(d, bytes.NewReader([]byte("wrong"))); err == nil {
		t.Fatal("stored bytes that do not match the digest")
	}
	if c.Has(d) {
		t.Fatal("entry exists after a refused store")
	}
	if left, _ := os.ReadDir(filepath.Join(c.dir, "tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// A process killed mid-download leaves only a temporary file, which is never served.
func TestInterruptedDownloadNeverServed(t *testing.T) {
	c, _ := New(t.TempDir(), 0)
	data := []byte("complete content")
	d := desc(data)
	partial := filepath.Join(c.dir, "tmp", "blob-123")
	os.WriteFile(partial, data[:5], 0o600)
	if c.Has(d) {
		t.Fatal("partial download counted as cached")
	}
}

func TestLockSerialisesOneDigest(t *testing.T) {
	c, _ := New(t.TempDir(), 0)
	d := digest.FromString("x")
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := c.Lock(context.Background(), d)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			if n > maxInside.Load() {
				maxInside.Store(n)
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			unlock()
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Fatalf("%d holders at once", maxInside.Load())
	}
	unlock, _ := c.Lock(context.Background(), d)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Lock(ctx, d); err == nil {
		t.Fatal("second lock acquired while held")
	}
	unlock()
}

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c, _ := New(t.TempDir(), 25)
	blobs := [][]byte{[]byte("0123456789"), []byte("abcdefghij"), []byte("ABCDEFGHIJ")}
	for i, b := range blobs[:2] {
		if err := c.StoreReader(desc(b), bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(c.blobPath(desc(b).Digest), old, old)
	}
	rc, _ := c.Fetch(context.Background(), desc(blobs[0])) // use the oldest: it becomes the newest
	rc.Close()
	if err := c.StoreReader(desc(blobs[2]), bytes.NewReader(blobs[2])); err != nil {
		t.Fatal(err)
	}
	if !c.Has(desc(blobs[0])) || c.Has(desc(blobs[1])) || !c.Has(desc(blobs[2])) {
		t.Fatalf("eviction kept the wrong blobs: %v %v %v", c.Has(desc(blobs[0])), c.Has(desc(blobs[1])), c.Has(desc(blobs[2])))
	}
}

func TestVerifiedMarkers(t *testing.T) {
	c, _ := New(t.TempDir(), 0)
	d := digest.FromString("m")
	if _, ok := c.Verified(d, "p1"); ok {
		t.Fatal("unverified digest reported verified")
	}
	c.MarkVerified(d, "p1", []byte(`{"ok":true}`))
	if b, ok := c.Verified(d, "p1"); !ok || string(b) != `{"ok":true}` {
		t.Fatal("marker lost")
	}
	if _, ok := c.Verified(d, "p2"); ok {
		t.Fatal("a verification under one policy counted for another")
	}
}

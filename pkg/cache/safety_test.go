package cache

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// TestNewRefusesUnsafeDirs: markers count because they exist, so a cache directory that another user
// could write to, or a symlink that could be pointed elsewhere, is refused with the fix.
func TestNewRefusesUnsafeDirs(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the cache dir to open
		want  string
	}{
		{"world-writable", func(t *testing.T, dir string) string { return chmodDir(t, dir, 0o777) }, "chmod 0700"},
		{"group-writable", func(t *testing.T, dir string) string { return chmodDir(t, dir, 0o770) }, "mode 0770"},
		{"symlink", func(t *testing.T, dir string) string {
			link := filepath.Join(t.TempDir(), "link")
			must(t, os.Symlink(dir, link))
			return link
		}, "is a symlink"},
		{"a file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "file")
			must(t, os.WriteFile(p, nil, 0o600))
			return p
		}, "not a directory"},
		{"world-writable subdirectory", func(t *testing.T, dir string) string {
			must(t, os.Mkdir(filepath.Join(dir, "verified"), 0o700))
			must(t, os.Chmod(filepath.Join(dir, "verified"), 0o777))
			return dir
		}, "verified is writable by group or others"},
		{"symlinked subdirectory", func(t *testing.T, dir string) string {
			must(t, os.Symlink(t.TempDir(), filepath.Join(dir, "contact")))
			return dir
		}, "contact is a symlink"},
		{"owned by another user", func(t *testing.T, dir string) string {
			if os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			must(t, os.Chown(dir, 4242, 4242))
			return dir
		}, "owned by uid 4242"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t, privateDir(t))
			_, err := New(dir, 0)
			if !errors.Is(err, ErrUnsafeDir) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "GITLESS_CACHE_DIR") {
				t.Fatalf("New(%s) = %v, want ErrUnsafeDir containing %q and GITLESS_CACHE_DIR", dir, err, tt.want)
			}
		})
	}
	t.Run("missing directory is created private", func(t *testing.T) {
		dir := filepath.Join(privateDir(t), "a", "cache")
		old := syscall.Umask(0)
		defer syscall.Umask(old)
		if _, err := New(dir, 0); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("created with %v, %v; want 0700", fi.Mode(), err)
		}
	})
}

// TestVerificationMarkersExpire: a marker counts for the TTL only, so a signature removed from the
// registry stops counting once the TTL has passed; a marker from the future never counts.
func TestVerificationMarkersExpire(t *testing.T) {
	d := digest.FromString("m")
	tests := []struct {
		name string
		opts []Option
		age  time.Duration
		want bool
	}{
		{"fresh, default TTL", nil, time.Minute, true},
		{"older than the default TTL", nil, DefaultVerificationTTL + time.Minute, false},
		{"within a configured TTL", []Option{WithVerificationTTL(time.Hour)}, 30 * time.Minute, true},
		{"older than a configured TTL", []Option{WithVerificationTTL(time.Minute)}, 2 * time.Minute, false},
		{"from the future", nil, -time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(privateDir(t), 0, tt.opts...)
			must(t, err)
			must(t, c.MarkVerified(d, "p", []byte("{}")))
			p := filepath.Join(c.dir, "verified", "p", "sha256-"+d.Encoded())
			stamp := time.Now().Add(-tt.age)
			must(t, os.Chtimes(p, stamp, stamp))
			if _, ok := c.Verified(d, "p"); ok != tt.want {
				t.Fatalf("Verified = %v, want %v", ok, tt.want)
			}
			if _, err := os.Stat(p); !tt.want && tt.age > 0 && err == nil {
				t.Fatal("expired marker left in place")
			}
		})
	}
}

func TestLastContactIgnoresFutureMarker(t *testing.T) {
	c, err := New(privateDir(t), 0)
	must(t, err)
	must(t, c.MarkContact("hub"))
	if _, ok := c.LastContact("hub"); !ok {
		t.Fatal("contact just marked not reported")
	}
	future := time.Now().Add(24 * time.Hour)
	must(t, os.Chtimes(c.contactPath("hub"), future, future))
	if _, ok := c.LastContact("hub"); ok {
		t.Fatal("a contact marker from the future counted: it would keep mirror tags acceptable forever")
	}
}

// TestNewSweepsLeftovers plants what a kill -9 leaves (temporary files of a dead process, old ones,
// unheld lock files) next to a live process's files and a held lock; New removes only the former.
func TestNewSweepsLeftovers(t *testing.T) {
	dir := privateDir(t)
	live, err := New(dir, 0, WithStaleAfter(time.Hour))
	must(t, err)
	held := digest.FromString("held")
	unlock, err := live.Lock(context.Background(), held)
	must(t, err)
	defer unlock()

	dead := strconv.Itoa(deadPID(t))
	me := strconv.Itoa(os.Getpid())
	old := time.Now().Add(-2 * time.Hour)
	plant := map[string]bool{ // path under dir -> still there after New
		"tmp/blob-" + dead + "-123":                 false,
		"tmp/verified-" + dead + "-456":             false,
		"tmp/blob-" + me + "-789":                   true, // a live writer
		"tmp/blob-" + me + "-790.old":               false,
		"tmp/blob-1234567":                          true, // old naming, recent
		"tmp/blob-7654321.old":                      false,
		"locks/" + digest.FromString("x").Encoded(): false,
		"locks/" + held.Encoded():                   true,
	}
	for rel := range plant {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err != nil {
			must(t, os.WriteFile(p, []byte("partial"), 0o600))
		}
		if strings.HasSuffix(rel, ".old") {
			must(t, os.Chtimes(p, old, old))
		}
	}
	if _, err := New(dir, 0, WithStaleAfter(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for rel, kept := range plant {
		if _, err := os.Stat(filepath.Join(dir, rel)); (err == nil) != kept {
			t.Errorf("%s: present=%v, want %v", rel, err == nil, kept)
		}
	}
	// the swept lock is taken again as usual
	u, err := live.Lock(context.Background(), digest.FromString("x"))
	must(t, err)
	u()
}

// privateDir is a fresh 0700 directory, whatever the umask.
func privateDir(t *testing.T) string {
	return chmodDir(t, t.TempDir(), 0o700)
}

func chmodDir(t *testing.T, dir string, mode os.FileMode) string {
	must(t, os.Chmod(dir, mode))
	return dir
}

// deadPID returns the id of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run a child process: %v", err)
	}
	return cmd.Process.Pid
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLockExclusiveDuringSweeps: sweeps that remove unheld lock files while generates take and
// release the lock never let two holders in at once (Lock re-checks that its file is still the one
// at the path).
func TestLockExclusiveDuringSweeps(t *testing.T) {
	dir := privateDir(t)
	c, err := New(dir, 0)
	must(t, err)
	d := digest.FromString("contended")
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() { // a stream of sidecar starts
		for {
			select {
			case <-done:
				return
			default:
				c.sweepLocks()
			}
		}
	}()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				unlock, err := c.Lock(context.Background(), d)
				if err != nil {
					t.Error(err)
					return
				}
				if n := inside.Add(1); n > maxInside.Load() {
					maxInside.Store(n)
				}
				time.Sleep(100 * time.Microsecond)
				inside.Add(-1)
				unlock()
			}
		}()
	}
	wg.Wait()
	close(done)
	if maxInside.Load() != 1 {
		t.Fatalf("%d holders at once", maxInside.Load())
	}
}

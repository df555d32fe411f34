package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// TempPattern is the os.CreateTemp / os.MkdirTemp pattern for a temporary entry named prefix and
// owned by this process: prefix, the process id, a dash, a random suffix. SweepStale reads the
// process id back.
func TempPattern(prefix string) string {
	return prefix + strconv.Itoa(os.Getpid()) + "-*"
}

// SweepStale removes the entries of dir named prefix+PID+"-..." (see TempPattern) that a killed
// process left behind: those whose process no longer exists, and any older than maxAge (the
// process id may have been reused; no owner lives that long). Entries named prefix without a
// process id are removed by age only. It returns how many entries it removed; entries that vanish
// or cannot be removed meanwhile are skipped.
func SweepStale(dir, prefix string, maxAge time.Duration) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		pid, hasPID := parsePID(rest)
		if (hasPID && processGone(pid)) || time.Since(fi.ModTime()) > maxAge {
			if os.RemoveAll(filepath.Join(dir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}

// parsePID reads "PID-..." at the start of s.
func parsePID(s string) (int, bool) {
	digits, _, ok := strings.Cut(s, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0
}

// processGone reports whether no process has the id pid (a process of another user still counts as
// alive).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// sweep removes what killed processes left in the cache: temporary files (whose writers are gone or
// past any deadline) and lock files nobody holds.
func (c *Cache) sweep() {
	for _, kind := range []string{"blob-", "verified-"} {
		SweepStale(filepath.Join(c.dir, "tmp"), kind, c.staleAfter)
	}
	c.sweepLocks()
}

// sweepLocks removes lock files that no process holds. Lock re-checks, after taking its flock, that
// the file is still the one at the path, so removing a file another process has just opened is safe.
func (c *Cache) sweepLocks() {
	dir := filepath.Join(c.dir, "locks")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if samePath(f, p) {
				os.Remove(p)
			}
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		f.Close()
	}
}

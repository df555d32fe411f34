package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// safeDir creates dir (mode 0700, whatever the umask) when it is missing, and refuses it when it is a
// symlink, not a directory, owned by another user, or writable by group or others: anyone who can
// write there could plant a verification marker or a contact marker.
func safeDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating cache: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("creating cache: %w", err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("opening cache: %w", err)
	}
	return checkDirInfo(dir, fi)
}

func checkDirInfo(dir string, fi fs.FileInfo) error {
	fix := "point GITLESS_CACHE_DIR (or the config's cache.dir) at a directory of the sidecar's own user"
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: %s is a symlink: %s", ErrUnsafeDir, dir, fix)
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a directory: %s", ErrUnsafeDir, dir, fix)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%w: %s is owned by uid %d, not by this process (uid %d): %s", ErrUnsafeDir, dir, st.Uid, os.Geteuid(), fix)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: %s is writable by group or others (mode %04o): chmod 0700 %s, or %s", ErrUnsafeDir, dir, perm, dir, fix)
	}
	return nil
}

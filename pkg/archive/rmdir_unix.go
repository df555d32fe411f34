//go:build unix

package archive

import (
	"os"
	"syscall"
)

// removeEmptyDir removes dir only if it is an empty directory: unlike
// os.Remove it never deletes a file that replaced the directory meanwhile.
func removeEmptyDir(dir string) error {
	if err := syscall.Rmdir(dir); err != nil {
		return &os.PathError{Op: "rmdir", Path: dir, Err: err}
	}
	return nil
}

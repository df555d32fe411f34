//go:build !unix

package archive

import "os"

// removeEmptyDir removes dir, which was checked to be an empty directory.
func removeEmptyDir(dir string) error {
	return os.Remove(dir)
}

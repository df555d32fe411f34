//go:build unix

package archive

import "syscall"

// errNotEmpty is what rename(2) returns when the destination directory gained
// entries after it was checked.
var errNotEmpty error = syscall.ENOTEMPTY

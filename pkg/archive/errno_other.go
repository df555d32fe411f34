//go:build !unix

package archive

import "errors"

// errNotEmpty never matches where rename does not report ENOTEMPTY.
var errNotEmpty = errors.New("directory not empty")

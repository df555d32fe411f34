package cache

import "errors"

// ErrUnsafeDir is returned by New for a cache directory that another user could write to (or
// redirect, as a symlink): the cache's markers are trusted because they exist, so only the sidecar's
// own user may be able to create them.
var ErrUnsafeDir = errors.New("unsafe cache directory")

//go:build !linux

package sandbox

import "runtime/debug"

// LimitMemory sets a soft limit for the Go garbage collector; only Linux has a hard limit.
func LimitMemory(max int64) error {
	debug.SetMemoryLimit(max * 3 / 4)
	return nil
}

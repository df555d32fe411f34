package sandbox

import (
	"fmt"
	"runtime/debug"
	"syscall"
)

// LimitMemory bounds the memory of the process: a soft limit for the Go garbage collector at
// max, so that it works harder before the hard limit is reached, and RLIMIT_DATA at max as the
// hard limit. RLIMIT_DATA (Linux 4.7 and later) counts the private writable mappings a process
// actually uses, unlike RLIMIT_AS, which also counts the address space the Go runtime reserves
// without using it. Beyond it, allocation fails and the Go runtime exits with "out of memory".
func LimitMemory(max int64) error {
	debug.SetMemoryLimit(max * 3 / 4)
	lim := syscall.Rlimit{Cur: uint64(max), Max: uint64(max)}
	if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &lim); err != nil {
		return fmt.Errorf("setting the memory limit: %w", err)
	}
	return nil
}

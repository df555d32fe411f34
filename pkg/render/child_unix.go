//go:build unix

package render

import (
	"os"
	"syscall"
)

// exitSignal is the signal that ended the process, or 0.
func exitSignal(ps *os.ProcessState) syscall.Signal {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

//go:build !unix

package render

import (
	"os"
	"syscall"
)

// exitSignal is the signal that ended the process, or 0.
func exitSignal(*os.ProcessState) syscall.Signal { return 0 }

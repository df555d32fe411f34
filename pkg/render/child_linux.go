package render

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the renderer child if its parent dies first (a sidecar killed
// mid-render), so that no render outlives the process that wanted it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

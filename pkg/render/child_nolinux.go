//go:build !linux

package render

import "os/exec"

// dieWithParent does nothing where the kernel offers no parent-death signal; the child is
// still killed when the render's context ends.
func dieWithParent(*exec.Cmd) {}

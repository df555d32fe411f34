package cmp

import (
	"os"
	"time"

	"github.com/gitless-dev/gitless/pkg/cache"
)

// renderDirPrefix names the per-generate work directories in the Pipeline's TempDir; the process id
// follows it (cache.TempPattern) so that a later start can tell a killed generate's leftovers.
const renderDirPrefix = "gitless-render-"

// SweepRenderDirs removes the work directories that killed generates left in tempDir (default
// os.TempDir()): those whose process is gone, and any older than maxAge, the total timeout, which no
// live generate outlives. The sidecar calls it at start; it returns how many it removed.
func SweepRenderDirs(tempDir string, maxAge time.Duration) int {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	return cache.SweepStale(tempDir, renderDirPrefix, maxAge)
}

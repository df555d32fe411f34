package helm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// maxSubchartArchives bounds how many charts/*.tgz archives one chart may hold, nested ones
// included.
const maxSubchartArchives = 1000

// checkSubcharts holds every subchart archive Helm could unpack to the extraction limits the
// artifact met: Helm unpacks them in memory with only its own, looser caps. It checks every
// charts/*.tgz below root (not only below the chart: Helm follows symlinks, which stay inside
// root) and, recursively, those inside the archives. Each archive is extracted to a scratch
// directory with pkg/archive, which also refuses unsafe paths and links, and their sizes and
// entries count against one budget.
func checkSubcharts(ctx context.Context, root string, limits archive.Limits) error {
	scratch, err := os.MkdirTemp("", "gitless-subcharts-*")
	if err != nil {
		return fmt.Errorf("checking subchart archives: %w", err)
	}
	defer os.RemoveAll(scratch)
	b := &budget{limits: limits.WithDefaults(), scratch: scratch}
	return b.checkTree(ctx, root, ".")
}

type budget struct {
	limits   archive.Limits
	scratch  string
	archives int
	size     int64
	entries  int
}

// checkTree checks the subchart archives below dir; shown is the path errors name.
func (b *budget) checkTree(ctx context.Context, dir, shown string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || !isSubchartArchive(path) {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		return b.check(ctx, path, filepath.Join(shown, rel))
	})
}

func isSubchartArchive(path string) bool {
	return strings.HasSuffix(path, ".tgz") && filepath.Base(filepath.Dir(path)) == "charts"
}

// check extracts one archive under what is left of the budget, then checks the archives in it.
func (b *budget) check(ctx context.Context, path, shown string) error {
	if b.archives++; b.archives > maxSubchartArchives {
		return fmt.Errorf("subchart %s: %w: more than %d subchart archives", shown, errdef.ErrLimitExceeded, maxSubchartArchives)
	}
	left := b.limits
	left.MaxExtractedSize -= b.size
	left.MaxEntries -= b.entries
	if left.MaxExtractedSize <= 0 || left.MaxEntries <= 0 {
		return fmt.Errorf("subchart %s: %w: the subchart archives exceed the extraction limits", shown, errdef.ErrLimitExceeded)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening subchart %s: %w", shown, err)
	}
	defer f.Close()
	dst := filepath.Join(b.scratch, fmt.Sprint(b.archives))
	res, err := archive.Extract(ctx, f, dst, archive.WithLimits(left))
	if errors.Is(err, archive.ErrLimitExceeded) {
		return fmt.Errorf("subchart %s: %w: %w", shown, errdef.ErrLimitExceeded, err)
	}
	if err != nil {
		return fmt.Errorf("checking subchart %s: %w", shown, err)
	}
	b.size += res.Size
	b.entries += len(res.Files)
	defer os.RemoveAll(dst)
	return b.checkTree(ctx, dst, shown)
}

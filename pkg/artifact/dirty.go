package artifact

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/archive"
)

// DirtySuffix marks a revision whose packed files differ from the commit (publish --allow-dirty):
// the revision annotation and the provenance then say "<sha>-dirty", never the clean commit.
const DirtySuffix = "-dirty"

// maxDirtyListed is how many differing files a refusal names.
const maxDirtyListed = 5

// checkClean compares what was packed with HEAD: a packed file that git reports as modified, added,
// untracked or ignored, or a tracked file deleted from the packed tree, makes the checkout dirty for
// this publish. Files the pack left out (.gitlessignore, .helmignore, outside the pack root) do not
// count. Without AllowDirty a dirty checkout is refused (ErrDirtyCheckout); with it the revision is
// recorded as "<sha>-dirty".
func checkClean(ctx context.Context, p *publishPlan, layerPath string, opts PublishOptions) error {
	if p.git.TopLevel == "" || p.git.Revision == "" {
		return nil // not a checkout: nothing claims a commit
	}
	changed, err := changedFiles(ctx, p.root)
	if err != nil {
		return err
	}
	if len(changed) == 0 {
		return nil
	}
	packed, err := packedFiles(ctx, layerPath)
	if err != nil {
		return err
	}
	var differ []string
	for _, c := range changed {
		name := c.path
		if p.chart != nil {
			name = path.Join(p.chart.Name, name)
		}
		if c.deleted || packed[name] {
			differ = append(differ, c.path)
		}
	}
	if len(differ) == 0 {
		return nil
	}
	if !opts.AllowDirty {
		return fmt.Errorf("%w: files that differ from HEAD (%s): %s; commit them (or add them to .gitlessignore), "+
			"or publish with --allow-dirty to record the revision as %s%s", ErrDirtyCheckout, short(p.git.Revision),
			listFew(differ), short(p.git.Revision), DirtySuffix)
	}
	p.dirty = true
	if _, given := opts.Annotations[ocispec.AnnotationRevision]; opts.Revision == "" && !given {
		p.annotations[ocispec.AnnotationRevision] = p.git.Revision + DirtySuffix
	}
	if opts.Warn != nil {
		opts.Warn(fmt.Sprintf("publishing a dirty checkout (files that differ from HEAD: %s): revision recorded as %s",
			listFew(differ), p.annotations[ocispec.AnnotationRevision]))
	}
	return nil
}

func packedFiles(ctx context.Context, layerPath string) (map[string]bool, error) {
	f, err := os.Open(layerPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := archive.List(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("listing the packed layer: %w", err)
	}
	m := make(map[string]bool, len(entries))
	for _, e := range entries {
		m[e.Name] = true
	}
	return m, nil
}

func listFew(files []string) string {
	if len(files) <= maxDirtyListed {
		return strings.Join(files, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(files[:maxDirtyListed], ", "), len(files)-maxDirtyListed)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

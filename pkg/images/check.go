package images

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// Missing is a locked image that its mirror cannot serve.
type Missing struct {
	Image Image
	// At is the mirror reference asked for (MirrorName(prefix, name)@digest).
	At  string
	Err error
}

// MirrorFunc returns the images mirror prefix for a repository and the options to reach it; ok is
// false when the repository has no mirror.
type MirrorFunc func(repo string) (prefix string, opts registry.Options, ok bool)

// CheckMirror asks each image's mirror for the locked digest (a HEAD of the manifest) and returns
// the images it does not have. Images without a digest or without a mirror are not checked.
func CheckMirror(ctx context.Context, lock Lock, mirror MirrorFunc) []Missing {
	var mu sync.Mutex
	var missing []Missing
	sem := make(chan struct{}, resolveConcurrency)
	var wg sync.WaitGroup
	for _, im := range lock.Images {
		prefix, opts, ok := mirror(im.Name)
		if !ok || im.Digest == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			at := MirrorName(prefix, im.Name) + "@" + im.Digest
			if err := headManifest(ctx, opts, MirrorName(prefix, im.Name), im.Digest); err != nil {
				mu.Lock()
				missing = append(missing, Missing{Image: im, At: at, Err: err})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(missing, func(a, b Missing) int { return strings.Compare(a.At, b.At) })
	return missing
}

func headManifest(ctx context.Context, opts registry.Options, repoName, digest string) error {
	repo, err := opts.Remote(repoName)
	if err != nil {
		return err
	}
	desc, err := repo.Resolve(ctx, digest)
	if err != nil {
		return registry.Classify(err, "asking "+repoName+" for "+digest)
	}
	if desc.Digest.String() != digest {
		return registry.ErrDigestMismatch
	}
	return nil
}

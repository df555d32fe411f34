package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// Source is one place a blob may be fetched from: a zone mirror or the registry itself.
type Source struct {
	Name    string
	Fetcher content.Fetcher
}

// Progress wraps the reader of a transfer so that a caller can show it; nil shows nothing.
type Progress interface {
	Track(desc ocispec.Descriptor, r io.Reader) io.ReadCloser
}

// FetchBlob downloads desc to a new temporary file in dir (os.TempDir when empty), checking size and
// digest before returning. Sources are tried in order; one that fails or serves other bytes is skipped
// for this blob. The caller removes the returned file. Nothing is extracted while streaming.
func FetchBlob(ctx context.Context, sources []Source, desc ocispec.Descriptor, dir string, maxSize int64, progress Progress) (string, error) {
	if maxSize > 0 && desc.Size > maxSize {
		return "", fmt.Errorf("blob %s is %d bytes, over the %d byte limit (raise the limit if this is expected)",
			desc.Digest, desc.Size, maxSize)
	}
	var errs []error
	for _, src := range sources {
		path, err := fetchOne(ctx, src, desc, dir, progress)
		if err == nil {
			return path, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		errs = append(errs, fmt.Errorf("%s: %w", src.Name, err))
	}
	if len(errs) == 0 {
		return "", errors.New("fetching blob: no source configured")
	}
	return "", fmt.Errorf("fetching %s: %w", desc.Digest, errors.Join(errs...))
}

func fetchOne(ctx context.Context, src Source, desc ocispec.Descriptor, dir string, progress Progress) (path string, err error) {
	rc, err := src.Fetcher.Fetch(ctx, desc)
	if err != nil {
		return "", registry.Classify(err, "fetching blob")
	}
	defer rc.Close()
	var r io.Reader = rc
	if progress != nil {
		tracked := progress.Track(desc, rc)
		defer tracked.Close()
		r = tracked
	}
	f, err := os.CreateTemp(dir, "gitless-blob-*")
	if err != nil {
		return "", fmt.Errorf("creating temporary file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	vr := content.NewVerifyReader(r, desc)
	if _, err := io.Copy(f, vr); err != nil {
		return "", verifyError(err, desc)
	}
	if err := vr.Verify(); err != nil {
		return "", verifyError(err, desc)
	}
	return f.Name(), nil
}

func verifyError(err error, desc ocispec.Descriptor) error {
	if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s: %v", registry.ErrDigestMismatch, desc.Digest, err)
	}
	return registry.Classify(err, "reading blob")
}

package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/gitless-dev/gitless/pkg/registry"
)

var specsV2 = specs.Versioned{SchemaVersion: 2}

// pushBytes pushes data unless the target already has it.
func pushBytes(ctx context.Context, s content.Storage, desc ocispec.Descriptor, data []byte) error {
	return pushReader(ctx, s, desc, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, nil)
}

// pushFile pushes the file at path as desc unless the target already has it.
func pushFile(ctx context.Context, s content.Storage, desc ocispec.Descriptor, path string, progress Progress) error {
	return pushReader(ctx, s, desc, func() (io.ReadCloser, error) { return os.Open(path) }, progress)
}

func pushReader(ctx context.Context, s content.Storage, desc ocispec.Descriptor, open func() (io.ReadCloser, error), progress Progress) error {
	if ok, err := s.Exists(ctx, desc); err == nil && ok {
		return nil
	}
	rc, err := open()
	if err != nil {
		return fmt.Errorf("opening %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if progress != nil {
		tracked := progress.Track(desc, rc)
		defer tracked.Close()
		r = tracked
	}
	if err := s.Push(ctx, desc, r); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return registry.Classify(err, fmt.Sprintf("pushing %s %s", desc.MediaType, desc.Digest))
	}
	return nil
}

package artifact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Resolved is a reference resolved to one manifest, fetched and understood.
type Resolved struct {
	// Reference is the pinned reference repo@digest.
	Reference  string             `json:"reference"`
	Tag        string             `json:"tag,omitempty"`
	Descriptor ocispec.Descriptor `json:"descriptor"`
	Manifest   ocispec.Manifest   `json:"manifest"`
	Content    Content            `json:"content"`
	raw        []byte
}

// Resolve resolves ref (a digest wins over a tag), fetches the manifest and locates its content.
func Resolve(ctx context.Context, repo content.ReadOnlyStorage, ref registry.Reference) (*Resolved, error) {
	desc, err := ResolveDescriptor(ctx, repo, ref)
	if err != nil {
		return nil, err
	}
	return Describe(ctx, repo, ref, desc)
}

// ResolveDescriptor resolves ref to a manifest descriptor without fetching it.
func ResolveDescriptor(ctx context.Context, repo content.ReadOnlyStorage, ref registry.Reference) (ocispec.Descriptor, error) {
	r, ok := repo.(content.Resolver)
	if !ok {
		return ocispec.Descriptor{}, fmt.Errorf("resolving %s: the store cannot resolve references", ref)
	}
	if ref.Reference() == "" {
		return ocispec.Descriptor{}, fmt.Errorf("%w: %s has no tag or digest (add :TAG or @sha256:...)",
			registry.ErrInvalidReference, ref)
	}
	desc, err := r.Resolve(ctx, ref.Reference())
	if err != nil {
		return ocispec.Descriptor{}, registry.Classify(err, "resolving "+ref.String())
	}
	if ref.Digest != "" && desc.Digest != ref.Digest {
		return ocispec.Descriptor{}, fmt.Errorf("%w: %s resolved to %s", registry.ErrDigestMismatch, ref, desc.Digest)
	}
	return desc, nil
}

// Describe fetches the manifest desc of ref and locates its content.
func Describe(ctx context.Context, f content.Fetcher, ref registry.Reference, desc ocispec.Descriptor) (*Resolved, error) {
	m, raw, err := FetchManifest(ctx, f, desc)
	if err != nil {
		return nil, err
	}
	c, err := Locate(m)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	return &Resolved{Reference: ref.WithDigest(desc.Digest).String(), Tag: ref.Tag, Descriptor: desc,
		Manifest: m, Content: c, raw: raw}, nil
}

// RawManifest returns the manifest bytes as fetched (verified against the descriptor).
func (r *Resolved) RawManifest() []byte { return r.raw }

// MaterializeOptions bound what Materialize downloads and writes.
type MaterializeOptions struct {
	Limits   archive.Limits
	TempDir  string
	Progress Progress
	// Cache, when set, is read first and keeps every blob fetched (the sidecar's digest cache).
	Cache BlobCache
}

// BlobCache keeps blobs by digest across runs; it must check content on read and on store.
type BlobCache interface {
	content.Fetcher
	Store(desc ocispec.Descriptor, path string) error
}

// Materialize fetches the content of r from sources (in order, each checked by size and digest before a
// single byte is extracted) and extracts it into dir, which must not exist or be empty.
func Materialize(ctx context.Context, sources []Source, r *Resolved, dir string, opts MaterializeOptions) error {
	opts.Limits = opts.Limits.WithDefaults() // a caller may set some limits and leave the rest zero
	if r.Content.Format == FormatOrasFile {
		return materializeFiles(ctx, sources, r.Content.Files, dir, opts)
	}
	if opts.Cache != nil {
		sources = append([]Source{{Name: "cache", Fetcher: opts.Cache}}, sources...)
	}
	blobPath, err := FetchBlob(ctx, sources, r.Content.Layer, opts.TempDir, opts.Limits.MaxCompressedSize, opts.Progress)
	if err != nil {
		return err
	}
	defer os.Remove(blobPath)
	if opts.Cache != nil {
		if err := opts.Cache.Store(r.Content.Layer, blobPath); err != nil {
			return fmt.Errorf("caching layer: %w", err)
		}
	}
	f, err := os.Open(blobPath)
	if err != nil {
		return fmt.Errorf("opening fetched blob: %w", err)
	}
	defer f.Close()
	if _, err := archive.Extract(ctx, f, dir, archive.WithLimits(opts.Limits)); err != nil {
		return fmt.Errorf("extracting %s: %w", r.Content.Layer.Digest, err)
	}
	return nil
}

// materializeFiles writes the single-file layers of an `oras push FILE...` artifact by their titles.
func materializeFiles(ctx context.Context, sources []Source, files []ocispec.Descriptor, dir string, opts MaterializeOptions) error {
	if len(files) > opts.Limits.MaxEntries {
		return fmt.Errorf("%w: %d files", archive.ErrLimitExceeded, len(files))
	}
	staging, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".gitless-files-*")
	if err != nil {
		return fmt.Errorf("creating staging directory: %w", err)
	}
	defer os.RemoveAll(staging)
	seen := map[string]bool{}
	var total int64
	for _, d := range files {
		name := d.Annotations[ocispec.AnnotationTitle]
		if !filepath.IsLocal(name) || filepath.Base(name) != name || seen[name] {
			return fmt.Errorf("%w: layer title %q", archive.ErrUnsafePath, name)
		}
		seen[name] = true
		if total += d.Size; total > opts.Limits.MaxExtractedSize || d.Size > opts.Limits.MaxFileSize {
			return fmt.Errorf("%w: %s", archive.ErrLimitExceeded, name)
		}
		blobPath, err := FetchBlob(ctx, sources, d, opts.TempDir, opts.Limits.MaxFileSize, opts.Progress)
		if err != nil {
			return err
		}
		err = os.Rename(blobPath, filepath.Join(staging, name))
		if err != nil {
			os.Remove(blobPath)
			return fmt.Errorf("placing %s: %w", name, err)
		}
		os.Chmod(filepath.Join(staging, name), 0o644)
	}
	if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("replacing %s: %w (give an empty or missing directory)", dir, err)
	}
	return os.Rename(staging, dir)
}

// Pulled is the result of Pull.
type Pulled struct {
	*Resolved
	Dir string `json:"dir"`
}

// Pull resolves ref in repo and materializes its content into dir.
func Pull(ctx context.Context, repo content.ReadOnlyStorage, ref registry.Reference, dir string, opts MaterializeOptions) (*Pulled, error) {
	r, err := Resolve(ctx, repo, ref)
	if err != nil {
		return nil, err
	}
	if err := Materialize(ctx, []Source{{Name: ref.Name(), Fetcher: repo}}, r, dir, opts); err != nil {
		return nil, err
	}
	return &Pulled{Resolved: r, Dir: dir}, nil
}

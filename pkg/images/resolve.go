package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// Mode says what publish does about the images the configuration names.
type Mode string

// The modes of `publish --images`.
const (
	// ModeResolve resolves every image to a digest at its registry; an image that cannot be resolved
	// is an error. The default.
	ModeResolve Mode = "resolve"
	// ModeRecord resolves what it can and keeps the rest in the lock as written, without a digest
	// (such entries are never rewritten at render time).
	ModeRecord Mode = "record"
	// ModeOff writes no lock.
	ModeOff Mode = "off"
)

// ParseMode reads a --images value; empty is ModeResolve.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return ModeResolve, nil
	case ModeResolve, ModeRecord, ModeOff:
		return m, nil
	}
	return "", fmt.Errorf("--images %q: use resolve (pin every image by digest), record (keep what cannot be resolved as written) or off", s)
}

// ErrUnresolved is returned for an image that cannot be resolved to a digest at publish.
var ErrUnresolved = errors.New("image cannot be resolved")

// maxIndexSize bounds a fetched image index (registries cap manifests at 4 MiB).
const maxIndexSize = 4 << 20

// resolveConcurrency bounds concurrent requests to image registries.
const resolveConcurrency = 8

// Resolver resolves image references to digests at their registries.
type Resolver struct {
	// Options reach every image registry: credentials from the docker credential store (or
	// DockerConfig), TLS and retry settings.
	Options registry.Options
	// PlainHTTPHosts are reached over plain HTTP; loopback hosts (127.0.0.0/8, ::1, localhost) always
	// are, as the Docker daemon treats them.
	PlainHTTPHosts []string
	// Warn receives what ModeRecord keeps unresolved; nil discards it.
	Warn func(msg string)
}

// Collect groups found references into lock entries, one per distinct image (name with tag or
// digest), each with every place it was found. An unparsable reference is an error naming it.
func Collect(found []Found) ([]Image, error) {
	var errs []error
	var out []Image
	index := map[string]int{}
	for _, f := range found {
		r, err := ParseRef(f.Ref)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s (%s): %v", ErrUnresolved, where(f.Source), f.Source.Field, err))
			continue
		}
		key := r.Name + ":" + r.Tag + "@" + r.Digest
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, Image{Ref: f.Ref, Name: r.Name, Tag: r.Tag, Digest: r.Digest})
		}
		if !slices.Contains(out[i].Sources, f.Source) { // a chart rendered with several values sets
			out[i].Sources = append(out[i].Sources, f.Source)
		}
	}
	return out, errors.Join(errs...)
}

// Lock resolves every image (concurrently) and returns the lock. In ModeResolve any failure is an
// error naming the image and where it was found; in ModeRecord failures are warned about and kept
// without a resolved digest.
func (r *Resolver) Lock(ctx context.Context, imgs []Image, mode Mode) (Lock, error) {
	imgs = slices.Clone(imgs)
	errs := make([]error, len(imgs))
	sem := make(chan struct{}, resolveConcurrency)
	var wg sync.WaitGroup
	for i := range imgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = r.resolve(ctx, &imgs[i])
		}()
	}
	wg.Wait()
	var failed []error
	for i, err := range errs {
		if err == nil {
			continue
		}
		im := &imgs[i]
		err = fmt.Errorf("%w: %s, found in %s: %w", ErrUnresolved, im.Ref, sourcesText(im.Sources), err)
		if mode == ModeRecord {
			r.warn(fmt.Sprintf("%v; recorded as written, without a digest (never rewritten to a mirror)", err))
			im.Digest, im.MediaType, im.Platforms = writtenDigest(im.Ref), "", nil
			continue
		}
		failed = append(failed, err)
	}
	if len(failed) > 0 {
		return Lock{}, fmt.Errorf("%w\n(push the image or fix the reference; --images=record keeps what cannot be resolved unpinned, "+
			"--images=off writes no lock)", errors.Join(failed...))
	}
	return Lock{Version: LockVersion, Images: imgs}, nil
}

// resolve sets im's digest, media type and platforms from its registry. A reference written with a
// digest keeps it once the registry confirms the digest exists there.
func (r *Resolver) resolve(ctx context.Context, im *Image) error {
	ref, err := ParseRef(im.Ref)
	if err != nil {
		return err
	}
	repo, err := r.options(ref.Host()).Remote(connectName(ref))
	if err != nil {
		return err
	}
	target := ref.Tag
	if ref.Digest != "" {
		target = ref.Digest
	}
	desc, err := repo.Resolve(ctx, target)
	if err != nil {
		err = registry.Classify(err, "resolving "+ref.Name+" "+target)
		if errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("%w: %s has no %s", registry.ErrNotFound, ref.Name, target)
		}
		return err
	}
	if ref.Digest != "" && desc.Digest.String() != ref.Digest {
		return fmt.Errorf("%w: the registry answered %s for %s", registry.ErrDigestMismatch, desc.Digest, ref.Digest)
	}
	im.Digest, im.MediaType = desc.Digest.String(), desc.MediaType
	if !isIndex(desc.MediaType) {
		return nil
	}
	if desc.Size > maxIndexSize {
		return fmt.Errorf("image index %s is %d bytes, above %d", desc.Digest, desc.Size, maxIndexSize)
	}
	raw, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		return registry.Classify(err, "fetching image index "+desc.Digest.String())
	}
	im.Platforms, err = platforms(raw)
	return err
}

func (r *Resolver) options(host string) registry.Options {
	o := r.Options
	o.PlainHTTP = isLoopback(host) || slices.Contains(r.PlainHTTPHosts, host)
	return o
}

func (r *Resolver) warn(msg string) {
	if r.Warn != nil {
		r.Warn(msg)
	}
}

// connectName is the repository to open: Docker Hub's API lives at registry-1.docker.io.
func connectName(ref Ref) string {
	if ref.Host() == "docker.io" {
		return "registry-1.docker.io/" + ref.Path()
	}
	return ref.Name
}

func isIndex(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == "application/vnd.docker.distribution.manifest.list.v2+json"
}

// platforms lists os/arch[/variant] of an index's manifests, leaving out attestation manifests
// (BuildKit's unknown/unknown).
func platforms(raw []byte) ([]string, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("reading image index: %w", err)
	}
	var out []string
	for _, m := range idx.Manifests {
		p := m.Platform
		if p == nil || p.OS == "unknown" || p.OS == "" {
			continue
		}
		s := p.OS + "/" + p.Architecture
		if p.Variant != "" {
			s += "/" + p.Variant
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

func isLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

func writtenDigest(ref string) string {
	r, err := ParseRef(ref)
	if err != nil {
		return ""
	}
	return r.Digest
}

func where(s Source) string {
	if s.Name == "" {
		return s.Kind
	}
	return describe(s)
}

func sourcesText(srcs []Source) string {
	parts := make([]string, 0, len(srcs))
	for _, s := range srcs {
		if s.Field == "" {
			parts = append(parts, where(s))
			continue
		}
		parts = append(parts, where(s)+" "+s.Field)
	}
	return strings.Join(parts, ", ")
}

package imagecopy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Image statuses in a copy report.
const (
	StatusCopied  = "copied"
	StatusPresent = "present"
	StatusRefused = "refused"
	StatusFailed  = "failed"
)

// DefaultConcurrency is how many images are copied at once when WithConcurrency is not given: a few
// streams keep a WAN link busy without tripping registries' rate limits.
const DefaultConcurrency = 4

// ErrImagesNotCopied is returned (wrapped, naming the counts) when some image was refused or failed.
var ErrImagesNotCopied = errors.New("some images were not copied")

// Opener opens the repository that holds the image named name (host/path, as in the lock).
type Opener func(name string) (registry.Repository, error)

// Destination is one place the locked images go: a zone registry under a prefix, or an OCI layout.
type Destination struct {
	// Name labels the destination in reports: the images prefix, or oci-layout:DIR.
	Name string
	// Open opens the repository an image named name is copied to (see images.MirrorName).
	Open Opener
	// Layout marks an OCI image layout: every image shares its one store, and each image's root is
	// tagged name@digest (LayoutTag) so that a copy out of the layout finds it again by name.
	Layout bool
}

// Report says what happened to the locked images at one destination.
type Report struct {
	Destination string        `json:"destination"`
	Copied      int           `json:"copied"`
	Present     int           `json:"present"`
	Refused     int           `json:"refused"`
	Failed      int           `json:"failed"`
	Images      []ImageReport `json:"images"`
}

// ImageReport is one image's outcome at one destination.
type ImageReport struct {
	// Image is the reference as written in the configuration; Digest the locked digest.
	Image  string `json:"image"`
	Digest string `json:"digest,omitempty"`
	// Target is where the image is (or would be) at the destination, pinned by digest.
	Target    string   `json:"target,omitempty"`
	Status    string   `json:"status"`
	Reason    string   `json:"reason,omitempty"`
	Platforms []string `json:"platforms,omitempty"`
	// Referrers counts the signatures, attestations and SBOMs carried (referrers and legacy tags).
	Referrers int `json:"referrers"`
	// Pushed counts manifests and blobs sent, Mounted blobs mounted from another repository of the
	// same registry, Bytes the bytes sent; all 0 when the image was already present.
	Pushed  int   `json:"pushed"`
	Mounted int   `json:"mounted,omitempty"`
	Bytes   int64 `json:"bytes"`
}

// Verify decides whether an image may enter the zones: nil accepts; an error is the reason it is
// refused. It reads signatures from store, the image's source repository.
type Verify func(ctx context.Context, store registry.Repository, name string, desc ocispec.Descriptor) error

type copyConfig struct {
	concurrency int
	platforms   []string
	verify      Verify
	progress    artifact.Progress
	onImage     func(dst string, r ImageReport)
	caps        *capabilities
}

// CopyOption configures Copy.
type CopyOption func(*copyConfig)

// WithConcurrency sets how many images are copied at once (default DefaultConcurrency).
func WithConcurrency(n int) CopyOption { return func(c *copyConfig) { c.concurrency = n } }

// WithPlatforms limits a multi-platform image to these platforms (os/arch[/variant]). The index
// itself is still copied unchanged, so the locked digest exists at the zone and pulls by digest work
// on the chosen platforms; the other platforms' manifests and layers stay behind. A registry that
// validates every child of an index (CNCF Distribution's default, go-containerregistry's) refuses
// such an index, and the report says so.
func WithPlatforms(p []string) CopyOption { return func(c *copyConfig) { c.platforms = p } }

// WithVerify admits only images that v accepts; the others are reported refused with v's reason.
func WithVerify(v Verify) CopyOption { return func(c *copyConfig) { c.verify = v } }

// WithProgress tracks each blob read from the source (bars on a terminal).
func WithProgress(p artifact.Progress) CopyOption { return func(c *copyConfig) { c.progress = p } }

// WithImageDone calls fn as each image finishes at each destination (a progress line).
func WithImageDone(fn func(dst string, r ImageReport)) CopyOption {
	return func(c *copyConfig) { c.onImage = fn }
}

// Copy replicates every locked image, by digest, from where src opens it to each destination, with
// everything that refers to it: signatures, attestations and SBOMs as OCI 1.1 referrers (the API or
// the referrers tag schema, whichever the destination has) and cosign's legacy sha256-<hex>.sig/.att/
// .sbom tags. Per image and destination: content first, referrers and legacy tags next, the image's
// tag last. Blobs the destination has are not sent (HEAD), blobs already in another repository of the
// same zone registry are mounted, and an image whose root, tag, referrers and legacy tags are all in
// place is left alone after at most a few reads, so a re-run with nothing new writes nothing.
//
// The source is read once per image whatever the number of destinations. Images are copied
// concurrently. Copy returns one report per destination, in order; the error wraps
// ErrImagesNotCopied when any image was refused or failed. What was copied stays.
func Copy(ctx context.Context, lock images.Lock, src Opener, dsts []Destination, opts ...CopyOption) ([]Report, error) {
	cfg := copyConfig{concurrency: DefaultConcurrency, caps: &capabilities{}}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.concurrency < 1 {
		cfg.concurrency = 1
	}
	zones := make([]*zone, len(dsts))
	for i, d := range dsts {
		zones[i] = newZone(d)
	}
	results := make([][]ImageReport, len(lock.Images))
	sem := make(chan struct{}, cfg.concurrency)
	var wg sync.WaitGroup
	for i, im := range lock.Images {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = copyImage(ctx, &cfg, im, src, zones)
		}()
	}
	wg.Wait()
	return summarize(dsts, results)
}

// summarize turns per-image results into per-destination reports and the overall error.
func summarize(dsts []Destination, results [][]ImageReport) ([]Report, error) {
	reports := make([]Report, len(dsts))
	var bad []string
	for i, d := range dsts {
		r := Report{Destination: d.Name, Images: []ImageReport{}}
		for _, per := range results {
			ir := per[i]
			r.Images = append(r.Images, ir)
			switch ir.Status {
			case StatusCopied:
				r.Copied++
			case StatusPresent:
				r.Present++
			case StatusRefused:
				r.Refused++
			default:
				r.Failed++
			}
		}
		if r.Refused+r.Failed > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d refused, %d failed", d.Name, r.Refused, r.Failed))
		}
		reports[i] = r
	}
	if len(bad) > 0 {
		return reports, fmt.Errorf("%w (%s); the report names each one and why", ErrImagesNotCopied, strings.Join(bad, "; "))
	}
	return reports, nil
}

// copyImage reads one image's graph at its source once, verifies it when asked, and places it at
// every destination; it returns one report per destination.
func copyImage(ctx context.Context, cfg *copyConfig, im images.Image, open Opener, zones []*zone) []ImageReport {
	out := make([]ImageReport, len(zones))
	base := ImageReport{Image: im.Ref, Digest: im.Digest}
	if base.Image == "" {
		base.Image = im.Name
	}
	fail := func(status, reason string) []ImageReport {
		for i, z := range zones {
			out[i] = base
			out[i].Target = z.target(im)
			out[i].Status, out[i].Reason = status, reason
			z.done(cfg, out[i])
		}
		return out
	}
	if im.Digest == "" {
		return fail(StatusRefused, "not locked to a digest (published with --images=record): resolve it and publish again")
	}
	if _, err := digest.Parse(im.Digest); err != nil {
		return fail(StatusRefused, fmt.Sprintf("locked digest %q: %v", im.Digest, err))
	}
	g, err := readGraph(ctx, cfg, im, open)
	if err != nil {
		return fail(StatusFailed, err.Error())
	}
	if cfg.verify != nil {
		if err := cfg.verify(ctx, g.repo, im.Name, g.root); err != nil {
			return fail(StatusRefused, err.Error())
		}
	}
	base.Platforms = g.platforms
	base.Referrers = len(g.referrers) + len(g.legacy)
	for i, z := range zones {
		out[i] = z.place(ctx, cfg, im, g, base)
		z.done(cfg, out[i])
	}
	return out
}

// LayoutTag is the name an image's root carries inside an OCI layout: name@digest, the form the
// layout's org.opencontainers.image.ref.name allows, so the image maps back to where it came from.
func LayoutTag(name, dgst string) string { return name + "@" + dgst }

// platformOf formats a descriptor's platform as os/arch[/variant].
func platformOf(p *ocispec.Platform) string {
	if p == nil {
		return ""
	}
	return strings.Join(slices.DeleteFunc([]string{p.OS, p.Architecture, p.Variant}, func(s string) bool { return s == "" }), "/")
}

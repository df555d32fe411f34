package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/pflag"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// copyImagesFlags are copy's flags for the images the artifact's lock names.
type copyImagesFlags struct {
	prefixes     []string
	platforms    []string
	concurrency  int
	verifyImages bool
	trust        options.Trust
}

func (f *copyImagesFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.prefixes, "images", nil, "copy the images SRC's lock names under this prefix at the destination "+
		"(zone-a.example.com/mirror); one per registry DST, in order (a prefix names its zone's registry); an oci-layout DST always carries them")
	fs.StringSliceVar(&f.platforms, "platform", nil, "copy only these platforms of multi-platform images (linux/amd64,linux/arm64); the index itself is copied unchanged")
	fs.IntVar(&f.concurrency, "concurrency", imagecopy.DefaultConcurrency, "images copied at once")
	fs.BoolVar(&f.verifyImages, "verify-images", false, "copy only images whose cosign signatures verify (--key or --policy); the report names each refused image")
	f.trust.AddFlags(fs)
}

func (f *copyImagesFlags) validate(registryDsts int) error {
	switch {
	case len(f.prefixes) > 0 && len(f.prefixes) != registryDsts:
		return options.Usagef("%d --images prefixes for %d registry destinations: give one per registry destination, in order (each names its zone's registry)", len(f.prefixes), registryDsts)
	case f.concurrency < 1:
		return options.Usagef("--concurrency must be at least 1")
	case !f.verifyImages && (len(f.trust.Keys) > 0 || f.trust.Policy != ""):
		return options.Usagef("--key and --policy say whom to trust for --verify-images: add --verify-images")
	case f.verifyImages:
		return f.trust.Validate()
	}
	for _, p := range f.prefixes {
		ref, err := registry.ParseReference(p)
		if err != nil || ref.IsLayout() || ref.Tag != "" || ref.Digest != "" {
			return options.Usagef("--images %q: give a registry and path (zone-a.example.com/mirror), no tag or digest", p)
		}
	}
	for _, p := range f.platforms {
		if n := len(strings.Split(p, "/")); n < 2 || n > 3 {
			return options.Usagef("--platform %q: use os/arch[/variant], e.g. linux/arm64", p)
		}
	}
	return nil
}

// prefixFor returns the images prefix of the i-th registry destination, or "".
func (f *copyImagesFlags) prefixFor(i int) string {
	if i < len(f.prefixes) {
		return f.prefixes[i]
	}
	return ""
}

// readLock reads the images lock from SRC's manifest.
func (o *copyOptions) readLock(ctx context.Context) (images.Lock, bool, error) {
	desc, err := artifact.ResolveDescriptor(ctx, o.srcRepo, o.src)
	if err != nil {
		return images.Lock{}, false, err
	}
	m, _, err := artifact.FetchManifest(ctx, o.srcRepo, desc)
	if err != nil {
		return images.Lock{}, false, registry.Classify(err, "reading "+o.src.String())
	}
	return images.FromAnnotations(m.Annotations)
}

// imageDestination is where dst's images go: the layout itself, or the zone under its prefix; ok is
// false for a registry destination without --images.
func (o *copyOptions) imageDestination(dst registry.Reference, repo registry.Repository, prefix string) (imagecopy.Destination, bool) {
	if dst.IsLayout() {
		return imagecopy.Destination{Name: dst.Name(), Layout: true, Open: func(string) (registry.Repository, error) { return repo, nil }}, true
	}
	if prefix == "" {
		return imagecopy.Destination{}, false
	}
	return imagecopy.Destination{Name: prefix, Open: func(name string) (registry.Repository, error) {
		ref, err := registry.ParseReference(images.MirrorName(prefix, name))
		if err != nil {
			return nil, err
		}
		return o.to.OptionsFor(ref).Open(ref)
	}}, true
}

// imageSource opens where each locked image is read: the layout SRC itself (an air-gap transfer
// carries the images), or the image's own registry with SRC's access settings (credentials given
// for SRC are sent only to SRC's host).
func (o *copyOptions) imageSource() imagecopy.Opener {
	if o.src.IsLayout() {
		return func(string) (registry.Repository, error) { return o.srcRepo, nil }
	}
	opts := o.OptionsFor(o.src)
	return func(name string) (registry.Repository, error) { return opts.Remote(name) }
}

// copyImages copies the lock's images to dsts, with the options the flags give.
func (o *copyOptions) copyImages(ctx context.Context, lock images.Lock, dsts []imagecopy.Destination) ([]imagecopy.Report, error) {
	opts := []imagecopy.CopyOption{imagecopy.WithConcurrency(o.images.concurrency), imagecopy.WithPlatforms(o.images.platforms)}
	if p := options.NewProgress(o.ErrOut, false); p != nil {
		var mu sync.Mutex
		opts = append(opts, imagecopy.WithProgress(p), imagecopy.WithImageDone(func(dst string, r imagecopy.ImageReport) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(o.ErrOut, "%-8s %s -> %s (%d objects, %d bytes)\n", r.Status, r.Image, dst, r.Pushed, r.Bytes)
		}))
	}
	if o.images.verifyImages {
		v, err := o.imageVerifier()
		if err != nil {
			return nil, err
		}
		opts = append(opts, imagecopy.WithVerify(v))
	}
	return imagecopy.Copy(ctx, lock, o.imageSource(), dsts, opts...)
}

// imageVerifier checks an image's signatures by digest under the policy for its repository.
func (o *copyOptions) imageVerifier() (imagecopy.Verify, error) {
	var mu sync.Mutex
	verifiers := map[*config.Policy]*signature.Verifier{}
	var fixed *config.Policy
	if o.images.trust.Policy == "" {
		var err error
		if fixed, err = o.images.trust.PolicyFor(""); err != nil {
			return nil, err
		}
	} else if _, err := o.images.trust.Config(); err != nil {
		return nil, err
	}
	return func(ctx context.Context, store registry.Repository, name string, desc ocispec.Descriptor) error {
		p := fixed
		if p == nil {
			var err error
			if p, err = o.images.trust.PolicyFor(name); err != nil {
				return err
			}
		}
		mu.Lock()
		v, ok := verifiers[p]
		if !ok {
			var err error
			if v, err = signature.NewVerifier(p); err != nil {
				mu.Unlock()
				return err
			}
			verifiers[p] = v
		}
		mu.Unlock()
		_, err := v.VerifyDescriptor(ctx, store, name, desc, "")
		return err
	}, nil
}

// printImageCopies writes the per-destination images report in the text form.
func printImageCopies(w io.Writer, reports []imagecopy.Report) {
	for _, r := range reports {
		fmt.Fprintf(w, "images at %s: %d copied, %d already present, %d refused, %d failed\n", r.Destination, r.Copied, r.Present, r.Refused, r.Failed)
		for _, im := range r.Images {
			if im.Status == imagecopy.StatusRefused || im.Status == imagecopy.StatusFailed {
				fmt.Fprintf(w, "  %s %s: %s\n", im.Status, im.Image, im.Reason)
			}
		}
	}
}

// imagesIncomplete reports whether dst's images report has a refused or failed image.
func imagesIncomplete(reports []imagecopy.Report, name string) bool {
	for _, r := range reports {
		if r.Destination == name && r.Refused+r.Failed > 0 {
			return true
		}
	}
	return false
}

var errNoLock = errors.New("has no images lock")

// imageDstName is the images report name of a destination: its layout, or its prefix.
func imageDstName(ref registry.Reference, prefix string) string {
	if ref.IsLayout() {
		return ref.Name()
	}
	return prefix
}

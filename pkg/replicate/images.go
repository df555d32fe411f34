package replicate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/imagecopy"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// ErrNoImagesMirror is returned by a zone's images Opener for an image the zone keeps no copy of
// (the config names no images mirror on the zone's host for that image's registry): such an image
// is pulled from upstream there, and status does not ask the zone for it.
var ErrNoImagesMirror = errors.New("the zone has no images mirror for this image")

// ImagesReport says what became of the images that the selected artifacts' locks name, at one zone.
type ImagesReport struct {
	Copied  int `json:"copied"`
	Present int `json:"present"`
	Planned int `json:"planned,omitempty"`
	Failed  int `json:"failed"`
	// Unpinned lists the locked images without a digest (published with --images=record): they
	// cannot be copied by digest, and the sidecar leaves them pointing upstream, so they are skipped.
	Unpinned []string `json:"unpinned,omitempty"`
	// Images is one entry per locked image (per repository layout for an oci-layout zone).
	Images []imagecopy.ImageReport `json:"images"`
}

// ImagesDestination is where the zone keeps the images locked by repository's artifacts: under its
// Images prefix (each image at images.MirrorName(prefix, name)), or, for an oci-layout zone, in layout,
// the repository's own layout there, so that a copy out of it carries them on. ok is false for a
// registry zone without an images prefix.
func (z *Zone) ImagesDestination(repository string, opts registry.Options, layout registry.Repository) (imagecopy.Destination, bool) {
	if z.IsLayout() {
		return imagecopy.Destination{Name: z.Reference(repository).Name(), Layout: true,
			Open: func(string) (registry.Repository, error) { return layout, nil }}, true
	}
	if z.Images == "" {
		return imagecopy.Destination{}, false
	}
	prefix := z.Images
	return imagecopy.Destination{Name: prefix, Open: func(name string) (registry.Repository, error) {
		return opts.Remote(images.MirrorName(prefix, name))
	}}, true
}

// validateImages checks the zone's images prefix as the sidecar's images.mirror is checked.
func (z *Zone) validateImages() error {
	if z.Images == "" {
		return nil
	}
	if z.IsLayout() {
		return fmt.Errorf("images %q: an oci-layout zone keeps the images in each repository's layout; remove images", z.Images)
	}
	return (&config.ImagesMirror{Mirror: z.Images}).Validate()
}

// readLock returns the images lock on desc's manifest; nil when it has none (an index has none).
func readLock(ctx context.Context, repo registry.Repository, desc ocispec.Descriptor) ([]images.Image, error) {
	if desc.MediaType == ocispec.MediaTypeImageIndex || desc.MediaType == "application/vnd.docker.distribution.manifest.list.v2+json" {
		return nil, nil
	}
	m, _, err := artifact.FetchManifest(ctx, repo, desc)
	if err != nil {
		return nil, err
	}
	lock, ok, err := images.FromAnnotations(m.Annotations)
	if err != nil || !ok {
		return nil, err
	}
	return lock.Images, nil
}

// imageGroup is one images destination at a zone and the artifacts whose images go there: the
// zone's prefix for every artifact, or one repository's layout.
type imageGroup struct {
	dst      imagecopy.Destination
	lock     images.Lock
	arts     []*Artifact
	unpinned []string
}

func imageKey(im images.Image) string { return im.Name + ":" + im.Tag + "@" + im.Digest }

// add puts a's locked images in the group once each, however many artifacts lock them.
func (g *imageGroup) add(a *Artifact) {
	g.arts = append(g.arts, a)
	for _, im := range a.images {
		switch {
		case im.Digest == "":
			if ref := cmp.Or(im.Ref, im.Name); !slices.Contains(g.unpinned, ref) {
				g.unpinned = append(g.unpinned, ref)
			}
		case !slices.ContainsFunc(g.lock.Images, func(o images.Image) bool { return imageKey(o) == imageKey(im) }):
			g.lock.Images = append(g.lock.Images, im)
		}
	}
}

// imageGroups groups the plan's locked images by where they go at the zone.
func (zs *zoneSite) imageGroups(ctx context.Context, plan *Plan) ([]*imageGroup, error) {
	var groups []*imageGroup
	byRepo := map[string]*imageGroup{}
	for _, a := range plan.Artifacts {
		if len(a.images) == 0 {
			continue
		}
		key := ""
		if zs.zone.IsLayout() {
			key = a.Repository
		}
		g, ok := byRepo[key]
		if !ok {
			var layout registry.Repository
			if zs.zone.IsLayout() {
				repo, _, err := zs.open(ctx, a.Repository, a.desc)
				if err != nil {
					return nil, err
				}
				layout = repo
			}
			dst, ok := zs.zone.ImagesDestination(a.Repository, zs.opts, layout)
			if !ok {
				return nil, fmt.Errorf("zone %s has no images prefix: add images: %s/mirror to it", zs.zone.Name, zs.zone.Registry)
			}
			g = &imageGroup{dst: dst}
			byRepo[key] = g
			groups = append(groups, g)
		}
		g.add(a)
	}
	return groups, nil
}

// replicateImages brings the locked images of the plan to the zone before any artifact, and returns
// the report and, per artifact, why it must not be copied (an image of its lock failed there).
// A dry run asks the zone for each locked digest and writes nothing.
func replicateImages(ctx context.Context, h *hub, zs *zoneSite, plan *Plan, dryRun bool) (*ImagesReport, map[*Artifact]string) {
	rep := &ImagesReport{Images: []imagecopy.ImageReport{}}
	blocked := map[*Artifact]string{}
	groups, err := zs.imageGroups(ctx, plan)
	if err != nil {
		for _, a := range plan.Artifacts {
			if len(a.images) > 0 {
				blocked[a] = "its images could not be placed: " + err.Error()
				rep.Failed++
			}
		}
		return rep, blocked
	}
	src := func(name string) (registry.Repository, error) { return h.opts.Remote(name) }
	for _, g := range groups {
		for _, u := range g.unpinned {
			if !slices.Contains(rep.Unpinned, u) {
				rep.Unpinned = append(rep.Unpinned, u)
			}
		}
		if len(g.lock.Images) == 0 {
			continue
		}
		var reports []imagecopy.ImageReport
		if dryRun {
			reports = planImages(ctx, g)
		} else {
			r, _ := imagecopy.Copy(ctx, g.lock, src, []imagecopy.Destination{g.dst}) // failures are in the report
			reports = r[0].Images
		}
		failed := map[string]string{}
		for i, ir := range reports {
			rep.Images = append(rep.Images, ir)
			switch ir.Status {
			case imagecopy.StatusCopied:
				rep.Copied++
			case imagecopy.StatusPresent:
				rep.Present++
			case StatePlanned:
				rep.Planned++
			default:
				rep.Failed++
				failed[imageKey(g.lock.Images[i])] = fmt.Sprintf("image %s %s: %s", ir.Image, ir.Status, ir.Reason)
			}
		}
		for _, a := range g.arts {
			for _, im := range a.images {
				if why, bad := failed[imageKey(im)]; bad {
					blocked[a] = "not copied, since an image of its lock is missing at the zone: " + why
					break
				}
			}
		}
	}
	return rep, blocked
}

// planImages is the dry run's images report: each locked image present at the destination by
// digest, or planned.
func planImages(ctx context.Context, g *imageGroup) []imagecopy.ImageReport {
	out := make([]imagecopy.ImageReport, len(g.lock.Images))
	for i, im := range g.lock.Images {
		r := imagecopy.ImageReport{Image: cmp.Or(im.Ref, im.Name), Digest: im.Digest, Status: StatePlanned, Reason: "not at the zone"}
		if err := imageAt(ctx, g.dst, im); err == nil {
			r.Status, r.Reason = imagecopy.StatusPresent, ""
		} else if !isNotFound(err) {
			r.Reason = err.Error()
		}
		out[i] = r
	}
	return out
}

// imageAt asks dst for im's locked digest (a manifest HEAD at a registry).
func imageAt(ctx context.Context, dst imagecopy.Destination, im images.Image) error {
	if im.Digest == "" {
		return fmt.Errorf("%s is not locked to a digest", im.Name)
	}
	repo, err := dst.Open(im.Name)
	if err != nil {
		return err
	}
	d, err := repo.Resolve(ctx, im.Digest)
	if err != nil {
		return registry.Classify(err, "asking for "+im.Name+"@"+im.Digest)
	}
	if d.Digest.String() != im.Digest {
		return registry.ErrDigestMismatch
	}
	return nil
}

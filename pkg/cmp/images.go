package cmp

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/images"
)

// pinImages is the images step, run in this process on the renderer's output: every image field
// that the verified images lock (an annotation of the manifest whose digest the signature covers)
// pins, and whose registry has an images mirror, is rewritten to the mirror's copy by digest; every
// other byte stays as rendered. An image the lock does not pin is left alone and logged, or refused
// under the policy's requireLockedImages. Without a mirror and without that policy the output is
// not even parsed.
func (p *Pipeline) pinImages(rendered []byte, resolved *artifact.Resolved, policy *config.Policy, log *slog.Logger) ([]byte, error) {
	if p.ImagesLock != nil {
		if lock, ok, err := images.FromAnnotations(resolved.Manifest.Annotations); err == nil && ok {
			p.ImagesLock(lock)
		}
	}
	if !p.Config.HasImagesMirror() && !policy.RequireLockedImages {
		return rendered, nil
	}
	lock, ok, err := images.FromAnnotations(resolved.Manifest.Annotations)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w (publish it again with this gitless)", ErrImageNotLocked, resolved.Reference, err)
	}
	if !ok {
		log.Info("the artifact has no images lock: images left as rendered (publish with `kubectl gitless publish --images=resolve` to pin them)")
	}
	out, res, err := images.Pin(rendered, lock, func(repo string) string {
		if m := p.Config.ImagesMirrorFor(repo); m != nil {
			return m.Mirror
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	for _, f := range res.Unlocked {
		log.Warn("image not pinned by the images lock, left as rendered", "image", f.Ref, "object", f.Source.Kind+" "+objectName(f.Source), "field", f.Source.Field)
	}
	if policy.RequireLockedImages && len(res.Unlocked) > 0 {
		names := make([]string, 0, len(res.Unlocked))
		for _, f := range res.Unlocked {
			names = append(names, f.String())
		}
		return nil, fmt.Errorf("%w: %s (policy %q sets requireLockedImages: publish the artifact with these images locked, "+
			"or drop the values that introduce them)", ErrImageNotLocked, strings.Join(names, ", "), policy.Match)
	}
	if len(res.Rewritten) > 0 {
		log.Info("images pinned to the zone's mirror", "rewritten", len(res.Rewritten))
	}
	return out, nil
}

func objectName(s images.Source) string {
	if s.Namespace != "" {
		return s.Namespace + "/" + s.Name
	}
	return s.Name
}

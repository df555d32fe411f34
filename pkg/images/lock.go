// Package images finds the container images that rendered configuration names, records them in an
// images lock, and maps them to a zone's images mirror.
//
// # Where the lock lives
//
// The lock is one manifest annotation, AnnotationLock, on the configuration artifact: a compact JSON
// document (Lock) sorted by image name. The manifest is what every signature covers (cosign signs the
// manifest digest), so a zone that verified the artifact has verified the lock too and cannot be handed
// another list; and an annotation is the one place every form publish writes (image-shaped, OCI 1.1
// artifact, Helm chart) can carry it without changing what readers see: no extra layer (which an image
// volume would try to unpack, and Flux or Argo CD's OCI source might pick), no change to a Helm chart's
// config. Registries bound a manifest at 4 MiB, room for tens of thousands of images.
//
// The same tree with the same resolved images gives the same lock bytes and so the same artifact digest.
//
// # Finding, resolving, pinning
//
// Publish renders the packed content as the sidecar will and hands each object to FindInObject (the
// pod specs of the workload kinds; a generic walk of `containers`/`initContainers` lists elsewhere);
// FromChartAnnotations and FromFlags add what no object names. Collect groups the references and
// Resolver.Lock resolves them at their registries. At render time Pin rewrites, in the rendered
// stream itself (scalar by scalar, never re-serialised), every reference the verified lock pins to
// MirrorName(prefix, name)@digest, and reports those it does not pin; CheckMirror asks a mirror for
// every locked digest.
package images

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/distribution/reference"
)

// AnnotationLock is the manifest annotation that holds the images lock.
const AnnotationLock = "dev.gitless.images.lock"

// LockVersion is the version of the lock document written.
const LockVersion = 1

// Lock is the images lock: every image the rendered configuration names, resolved to a digest.
type Lock struct {
	Version int     `json:"version"`
	Images  []Image `json:"images"`
}

// Image is one locked image.
type Image struct {
	// Ref is the reference as written in the configuration (the first spelling seen when several
	// spellings name the same image).
	Ref string `json:"ref"`
	// Name is the fully qualified repository (docker.io/library/nginx), the key images are matched by.
	Name string `json:"name"`
	// Tag is the tag written, if any.
	Tag string `json:"tag,omitempty"`
	// Digest is the resolved manifest or index digest; empty when the image was recorded unresolved.
	Digest string `json:"digest,omitempty"`
	// MediaType is the media type of what Digest names (an index for a multi-platform image).
	MediaType string `json:"mediaType,omitempty"`
	// Platforms lists os/arch[/variant] of an index's manifests.
	Platforms []string `json:"platforms,omitempty"`
	// Sources says where the reference was found.
	Sources []Source `json:"sources,omitempty"`
}

// Source is one place an image reference was found.
type Source struct {
	// Kind/Namespace/Name identify the object ("helm.sh/images" or "--image" for references not found in an object).
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Field is the path of the field (spec.template.spec.containers[web].image).
	Field string `json:"field,omitempty"`
}

// Ref is a parsed image reference.
type Ref struct {
	// Name is the fully qualified repository: host/path, with docker.io's defaults applied.
	Name string
	Tag  string
	// Digest is the digest written in the reference, if any.
	Digest string
}

// Host returns the registry host of the reference.
func (r Ref) Host() string { h, _, _ := strings.Cut(r.Name, "/"); return h }

// Path returns the repository path without the host.
func (r Ref) Path() string { _, p, _ := strings.Cut(r.Name, "/"); return p }

// ParseRef parses an image reference as Kubernetes and the container runtimes read it (the
// distribution/reference rules containerd and the kubelet use): a name without a host is on docker.io
// (library/ for one path component), a name without tag or digest means :latest.
func ParseRef(s string) (Ref, error) {
	named, err := reference.ParseNormalizedNamed(strings.TrimSpace(s))
	if err != nil {
		return Ref{}, fmt.Errorf("image reference %q: %v", s, err)
	}
	r := Ref{Name: named.Name()}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest().String()
	} else if r.Tag == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// MirrorName maps a repository to its place under an images mirror prefix:
// MirrorName("zone-a.example.com/mirror", "docker.io/library/nginx") = "zone-a.example.com/mirror/docker.io/library/nginx".
// A port in the upstream host becomes "_PORT" ("hub:5000/a" → "PREFIX/hub_5000/a"): a colon is not
// allowed in a repository path, and an underscore cannot occur in a host name, so names stay distinct.
func MirrorName(prefix, repo string) string {
	host, path, ok := strings.Cut(repo, "/")
	if ok {
		repo = strings.NewReplacer(":", "_", "[", "", "]", "").Replace(host) + "/" + path
	}
	return strings.TrimSuffix(prefix, "/") + "/" + repo
}

// Encode returns the lock's canonical bytes: images sorted by name then digest, sources sorted, compact JSON.
func (l Lock) Encode() (string, error) {
	l.Version = LockVersion
	l.Images = slices.Clone(l.Images)
	for i := range l.Images {
		l.Images[i].Sources = slices.Clone(l.Images[i].Sources)
		slices.SortFunc(l.Images[i].Sources, func(a, b Source) int {
			return strings.Compare(a.Kind+"\x00"+a.Namespace+"\x00"+a.Name+"\x00"+a.Field,
				b.Kind+"\x00"+b.Namespace+"\x00"+b.Name+"\x00"+b.Field)
		})
		l.Images[i].Sources = slices.Compact(l.Images[i].Sources)
		slices.Sort(l.Images[i].Platforms)
	}
	slices.SortFunc(l.Images, func(a, b Image) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Digest, b.Digest); c != 0 {
			return c
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	raw, err := json.Marshal(l)
	if err != nil {
		return "", fmt.Errorf("encoding images lock: %w", err)
	}
	return string(raw), nil
}

// FromAnnotations reads the lock from a manifest's annotations; ok is false when there is none.
func FromAnnotations(annotations map[string]string) (lock Lock, ok bool, err error) {
	raw, ok := annotations[AnnotationLock]
	if !ok {
		return Lock{}, false, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lock); err != nil {
		return Lock{}, true, fmt.Errorf("images lock annotation %s: %v", AnnotationLock, err)
	}
	if lock.Version != LockVersion {
		return Lock{}, true, fmt.Errorf("images lock version %d: this gitless reads version %d; upgrade gitless", lock.Version, LockVersion)
	}
	for _, im := range lock.Images {
		if im.Name == "" {
			return Lock{}, true, fmt.Errorf("images lock: an entry has no name")
		}
	}
	return lock, true, nil
}

// Lookup returns the locked image for a reference as written in rendered output: matched by
// repository and, when the reference has one, by tag or digest.
func (l Lock) Lookup(ref string) (Image, bool) {
	r, err := ParseRef(ref)
	if err != nil {
		return Image{}, false
	}
	for _, im := range l.Images {
		if im.Name != r.Name || im.Digest == "" {
			continue
		}
		switch {
		case r.Digest != "":
			if im.Digest == r.Digest {
				return im, true
			}
		case im.Tag == r.Tag:
			return im, true
		}
	}
	return Image{}, false
}

package registry

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	orasregistry "oras.land/oras-go/v2/registry"
)

// LayoutScheme prefixes a reference to an OCI image layout directory on disk.
const LayoutScheme = "oci-layout:"

// Reference names an artifact in a registry (host/repo:tag, host/repo@sha256:...) or in an OCI image
// layout on disk (oci-layout:PATH[:tag|@digest]).
type Reference struct {
	// Registry is host[:port] as NormalizeHost spells it; empty for a layout reference.
	Registry string
	// Repository is the path inside the registry; empty for a layout reference.
	Repository string
	// Layout is the directory of an OCI image layout; empty for a registry reference.
	Layout string
	// Tag and Digest: either, both or neither may be set.
	Tag    string
	Digest digest.Digest
}

// ParseReference parses a user-supplied reference. The oci:// prefix that Argo CD and Helm use is accepted.
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("%w: empty reference", ErrInvalidReference)
	}
	if rest, ok := strings.CutPrefix(s, LayoutScheme); ok {
		return parseLayoutReference(rest)
	}
	s = strings.TrimPrefix(s, "oci://")
	r, err := orasregistry.ParseReference(s)
	if err != nil {
		return Reference{}, fmt.Errorf("%w: %q: %v (expected registry/repository[:tag|@sha256:digest])",
			ErrInvalidReference, s, err)
	}
	// the host is compared with the configuration's hosts, which are normalised the same way
	ref := Reference{Registry: NormalizeHost(r.Registry), Repository: r.Repository}
	name, dgst, hasDigest := strings.Cut(s[len(r.Registry)+1:], "@")
	if hasDigest {
		ref.Digest = digest.Digest(dgst)
		if err := ref.Digest.Validate(); err != nil {
			return Reference{}, fmt.Errorf("%w: %q: bad digest: %v", ErrInvalidReference, s, err)
		}
	}
	if _, tag, ok := strings.Cut(name, ":"); ok {
		if tag == "" {
			return Reference{}, emptyTag(s)
		}
		ref.Tag = tag
	}
	return ref, nil
}

func emptyTag(s string) error {
	return fmt.Errorf("%w: %q: empty tag after \":\" (give a tag, or drop the colon to name the repository)", ErrInvalidReference, s)
}

func parseLayoutReference(s string) (Reference, error) {
	ref := Reference{}
	if path, dgst, ok := strings.Cut(s, "@"); ok {
		ref.Layout, ref.Digest = path, digest.Digest(dgst)
		if err := ref.Digest.Validate(); err != nil {
			return Reference{}, fmt.Errorf("%w: %q: bad digest: %v", ErrInvalidReference, s, err)
		}
	} else if i := strings.LastIndex(s, ":"); i > 0 && !strings.ContainsAny(s[i+1:], `/\`) {
		ref.Layout, ref.Tag = s[:i], s[i+1:]
		if ref.Tag == "" {
			return Reference{}, emptyTag(LayoutScheme + s)
		}
	} else {
		ref.Layout = s
	}
	if ref.Layout == "" {
		return Reference{}, fmt.Errorf("%w: %q: missing layout path (oci-layout:PATH[:tag|@digest])", ErrInvalidReference, s)
	}
	ref.Layout = filepath.Clean(ref.Layout)
	return ref, nil
}

// IsLayout reports whether the reference names an OCI image layout on disk.
func (r Reference) IsLayout() bool { return r.Layout != "" }

// Name is the repository's full name: host/repo, or oci-layout:PATH.
func (r Reference) Name() string {
	if r.IsLayout() {
		return LayoutScheme + r.Layout
	}
	return r.Registry + "/" + r.Repository
}

// Reference returns the tag or digest part used to resolve the reference (digest preferred).
func (r Reference) Reference() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}

// WithDigest returns the reference pinned to d, keeping the repository and dropping the tag.
func (r Reference) WithDigest(d digest.Digest) Reference {
	r.Tag, r.Digest = "", d
	return r
}

// WithTag returns the reference with tag t and no digest.
func (r Reference) WithTag(t string) Reference {
	r.Tag, r.Digest = t, ""
	return r
}

// String formats the reference as it was given, without the oci:// prefix.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// LooksLikePath reports whether s, given where either a reference or a local path may stand, is
// written as a path: it starts with "./", "../", "/" or "~", is "." or "..", or its first segment
// cannot be a registry host (a host has a "." or a ":", or is "localhost": docker's rule). A
// reference to a host without either can still be given as oci://host/repo.
func LooksLikePath(s string) bool {
	if strings.HasPrefix(s, LayoutScheme) || strings.HasPrefix(s, "oci://") {
		return false
	}
	if s == "." || s == ".." || strings.HasPrefix(s, "~") || strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || filepath.IsAbs(s) {
		return true
	}
	host, _, ok := strings.Cut(s, "/")
	if !ok {
		return true // a reference always has a repository after its host
	}
	return !strings.ContainsAny(host, ".:") && host != "localhost"
}

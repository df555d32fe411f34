package signature

import (
	"fmt"
	"slices"
	"strings"
)

// bindingHint says, for a refused tag, what the valid signatures do bind: the tags signed for
// repository (each once), or, when they bind tags only for other repositories, which repositories,
// since a copy under another path (a zone project, a proxy cache) needs its path mapped back to the
// one the signatures name.
func (r *Result) bindingHint(repository string) string {
	tags := slices.Compact(slices.Sorted(slices.Values(r.boundTags(repository))))
	var elsewhere []string
	for _, s := range r.Signatures {
		if s.BoundTag != "" && repositoryPath(s.SignedRepository) != repositoryPath(repository) {
			elsewhere = append(elsewhere, s.SignedRepository+":"+s.BoundTag)
		}
	}
	elsewhere = slices.Compact(slices.Sorted(slices.Values(elsewhere)))
	switch {
	case len(tags) > 0:
		return fmt.Sprintf("tags signed for this repository: %s; verify by digest or sign the tag", strings.Join(tags, ", "))
	case len(elsewhere) > 0:
		return fmt.Sprintf("the signatures bind %s, not %s: if this is a copy under another path, map the mirror's path "+
			"to the upstream one (pathPrefix/stripPrefix in the config's mirrors) and pass the config, or verify by digest",
			strings.Join(elsewhere, ", "), repository)
	}
	return "no signature binds any tag; verify by digest or sign the tag (kubectl gitless sign REPOSITORY:TAG)"
}

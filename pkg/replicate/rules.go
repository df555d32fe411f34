package replicate

import (
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/gitless-dev/gitless/pkg/config"
)

func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if re, err := config.Glob(g); err == nil && re.MatchString(s) {
			return true
		}
	}
	return false
}

// isLiteral reports a repository glob without wildcards: a name to use when the hub has no catalog.
func isLiteral(glob string) bool { return !strings.ContainsAny(glob, "*?") }

// MatchesRepository reports whether the rule selects repository (a hub path).
func (r *Rule) MatchesRepository(repository string) bool { return matchAny(r.Repositories, repository) }

// SelectTags returns the tags of one repository the rule selects, in a stable order (highest
// version first). Signature and referrer tags (sha256-*, *.sig, *.att, *.sbom) are never selected:
// they travel with their subject.
func (r *Rule) SelectTags(tags []string) []string {
	type tv struct {
		tag string
		v   *semver.Version
	}
	var keep []tv
	for _, t := range tags {
		if isAttachmentTag(t) || (len(r.Tags) > 0 && !matchAny(r.Tags, t)) {
			continue
		}
		v, err := semver.NewVersion(t)
		if err != nil {
			v = nil
		}
		if r.Versions != "" && (v == nil || !r.constraint().Check(v)) {
			continue
		}
		keep = append(keep, tv{t, v})
	}
	slices.SortFunc(keep, func(a, b tv) int {
		switch {
		case a.v != nil && b.v != nil:
			if c := b.v.Compare(a.v); c != 0 {
				return c
			}
		case a.v != nil:
			return -1
		case b.v != nil:
			return 1
		}
		return strings.Compare(a.tag, b.tag)
	})
	if r.Latest > 0 && len(keep) > r.Latest {
		keep = keep[:r.Latest]
	}
	out := make([]string, len(keep))
	for i, k := range keep {
		out[i] = k.tag
	}
	return out
}

func (r *Rule) constraint() *semver.Constraints {
	if r.versions == nil {
		r.versions, _ = semver.NewConstraint(r.Versions) // validated by Parse
	}
	return r.versions
}

// isAttachmentTag reports cosign's legacy tags and the referrers tag schema's.
func isAttachmentTag(t string) bool {
	if strings.HasPrefix(t, "sha256-") || strings.HasPrefix(t, "sha512-") {
		return true
	}
	return strings.HasSuffix(t, ".sig") || strings.HasSuffix(t, ".att") || strings.HasSuffix(t, ".sbom")
}

package config

import (
	"errors"
	"fmt"
	"strings"
)

// Provenance is what a policy requires of an artifact's SLSA provenance: each list, when not empty,
// must match the attested value (sourceRepositories and refs as globs, builderIds exactly or as globs).
// An empty Provenance ({}) still requires a valid attestation for the digest.
// Reference: https://slsa.dev/spec/v1.0/provenance
type Provenance struct {
	// SourceRepositories are globs over the source repository URL ("https://git.example.com/platform/*");
	// a trailing ".git" and a "git+" prefix are ignored on both sides. "*" stays within a path segment,
	// "**" spans slashes.
	SourceRepositories []string `json:"sourceRepositories,omitempty"`
	// Refs are globs over the git ref the artifact was built from ("refs/heads/main", "refs/tags/v*").
	Refs []string `json:"refs,omitempty"`
	// BuilderIDs are globs over the builder id (runDetails.builder.id).
	BuilderIDs []string `json:"builderIds,omitempty"`
}

// Validate checks that every glob compiles.
func (p *Provenance) Validate() error {
	var errs []error
	for _, f := range []struct {
		name  string
		globs []string
	}{{"sourceRepositories", p.SourceRepositories}, {"refs", p.Refs}, {"builderIds", p.BuilderIDs}} {
		for _, g := range f.globs {
			if _, err := Glob(g); err != nil {
				errs = append(errs, fmt.Errorf("provenance.%s %q: %w", f.name, g, err))
			}
		}
	}
	return errors.Join(errs...)
}

// MatchSource reports whether repo is one of SourceRepositories (true when the list is empty).
func (p *Provenance) MatchSource(repo string) bool {
	return matchValues(p.SourceRepositories, repo, NormalizeSource)
}

// MatchRef reports whether ref is one of Refs (true when the list is empty).
func (p *Provenance) MatchRef(ref string) bool { return matchValues(p.Refs, ref, nil) }

// MatchBuilder reports whether id is one of BuilderIDs (true when the list is empty).
func (p *Provenance) MatchBuilder(id string) bool { return matchValues(p.BuilderIDs, id, nil) }

// NormalizeSource drops what varies between spellings of one git repository URL: a "git+" prefix,
// a trailing slash and a trailing ".git".
func NormalizeSource(s string) string {
	s = strings.TrimPrefix(s, "git+")
	s = strings.TrimSuffix(s, "/")
	return strings.TrimSuffix(s, ".git")
}

func matchValues(globs []string, v string, norm func(string) string) bool {
	if len(globs) == 0 {
		return true
	}
	if norm != nil {
		v = norm(v)
	}
	for _, g := range globs {
		if norm != nil {
			g = norm(g)
		}
		if re, err := Glob(g); err == nil && re.MatchString(v) {
			return true
		}
	}
	return false
}

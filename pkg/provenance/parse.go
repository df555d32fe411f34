package provenance

import (
	"encoding/json"
	"fmt"
	"strings"

	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/opencontainers/go-digest"
)

// Provenance is what a SLSA v1 statement says about an artifact.
type Provenance struct {
	// Subjects are the digests the statement is about.
	Subjects  []digest.Digest `json:"subjects"`
	Source    Source          `json:"source"`
	BuilderID string          `json:"builderId"`
	BuildType string          `json:"buildType,omitempty"`
	// Parameters are the statement's external parameters.
	Parameters map[string]any `json:"parameters,omitempty"`
}

// Parse reads an in-toto statement (v1, or v0.1 as cosign v2 writes it) with a SLSA provenance v1
// predicate. The source is the first resolved dependency that is a git repository ("git+URL[@REF]",
// or a gitCommit digest), else the external parameters "source" and "ref" (as Statement writes
// them).
func Parse(payload []byte) (*Provenance, error) {
	var st statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("%w: decoding statement: %w", ErrMalformed, err)
	}
	if st.Type != StatementType && st.Type != statementTypeV01 {
		return nil, fmt.Errorf("%w: statement type %q", ErrMalformed, st.Type)
	}
	if st.PredicateType != PredicateType {
		return nil, fmt.Errorf("%w: predicate type %q, want %s", ErrMalformed, st.PredicateType, PredicateType)
	}
	p := &Provenance{BuilderID: st.Predicate.RunDetails.Builder.ID, BuildType: st.Predicate.BuildDefinition.BuildType}
	for _, s := range st.Subject {
		for alg, hex := range s.Digest {
			if d := digest.NewDigestFromEncoded(digest.Algorithm(alg), hex); d.Validate() == nil {
				p.Subjects = append(p.Subjects, d)
			}
		}
	}
	p.Parameters, _ = st.Predicate.BuildDefinition.ExternalParameters.(map[string]any)
	if src, ok := gitSource(st.Predicate.BuildDefinition.ResolvedDependencies); ok {
		p.Source = src
	} else {
		p.Source.Repository, _ = p.Parameters["source"].(string)
		p.Source.Ref, _ = p.Parameters["ref"].(string)
	}
	if p.Source.Ref == "" { // a dependency URI without @ref: the parameters may name it
		p.Source.Ref, _ = p.Parameters["ref"].(string)
	}
	return p, nil
}

func gitSource(deps []slsa1.ResourceDescriptor) (Source, bool) {
	for _, d := range deps {
		commit := d.Digest[gitCommit]
		if commit == "" {
			commit = d.Digest["sha1"]
		}
		if !strings.HasPrefix(d.URI, "git+") && commit == "" {
			continue
		}
		s := Source{Revision: commit}
		s.Repository, s.Ref = splitGitURI(d.URI)
		if dirty, _ := d.Annotations["dirty"].(bool); dirty {
			s.Dirty = true
			if rev, _ := d.Annotations["revision"].(string); rev != "" {
				s.Revision = rev
			}
		}
		return s, true
	}
	return Source{}, false
}

// splitGitURI splits "git+https://host/org/repo@refs/heads/main" into the repository URL and the ref.
// An "@" counts as the ref separator only after the repository path, so "git+ssh://git@host/repo" has
// no ref.
func splitGitURI(uri string) (repo, ref string) {
	uri = strings.TrimPrefix(uri, "git+")
	i := strings.LastIndex(uri, "@")
	if i < 0 {
		return uri, ""
	}
	before := uri[:i]
	if _, rest, ok := strings.Cut(before, "://"); ok {
		before = rest
	}
	if !strings.Contains(before, "/") {
		return uri, ""
	}
	return uri[:i], uri[i+1:]
}

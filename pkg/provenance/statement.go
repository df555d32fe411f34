package provenance

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/opencontainers/go-digest"
)

// Types and URIs written into statements.
const (
	// PredicateType is SLSA provenance v1, as `cosign attest --type slsaprovenance1` writes it.
	PredicateType = slsa1.PredicateSLSAProvenance
	// StatementType is the in-toto statement v1 type.
	StatementType = "https://in-toto.io/Statement/v1"
	// statementTypeV01 is what cosign v2 writes; read, never written.
	statementTypeV01 = "https://in-toto.io/Statement/v0.1"
	// BuildType describes what kubectl gitless publish does: pack a directory, Kustomize overlay or
	// Helm chart from a git checkout into an OCI artifact.
	BuildType = "https://github.com/gitless-dev/gitless/publish/v1"
	// DefaultBuilderID is the builder recorded when the caller names none: the tool itself. A CI system
	// should pass its own (for example its workflow URI) with --builder-id.
	DefaultBuilderID = "https://github.com/gitless-dev/gitless/kubectl-gitless"
	// gitCommit is SLSA's digest key for a git commit.
	gitCommit = "gitCommit"
)

// Source is where an artifact was built from.
type Source struct {
	// Repository is the repository URL (https://git.example.com/platform/config).
	Repository string `json:"repository,omitempty"`
	// Revision is the commit, with "-dirty" appended when the packed files differed from it.
	Revision string `json:"revision,omitempty"`
	// Ref is the git ref built (refs/heads/main, refs/tags/v1.0.0).
	Ref   string `json:"ref,omitempty"`
	Dirty bool   `json:"dirty,omitempty"`
}

// Build describes one publish: the artifact (its repository name and manifest digest), its source,
// the builder, and the parameters that decide its content.
type Build struct {
	// Name is the artifact's repository ("host/path"), the statement subject's name.
	Name   string
	Digest digest.Digest
	Source Source
	// BuilderID defaults to DefaultBuilderID; BuilderVersion, when set, is recorded as builder.version.
	BuilderID, BuilderVersion string
	// Parameters are the external parameters (kind, renderPath, format, tags, ...).
	Parameters map[string]any
}

// statement is an in-toto statement with a SLSA v1 predicate.
type statement struct {
	Type          string                    `json:"_type"`
	Subject       []subject                 `json:"subject"`
	PredicateType string                    `json:"predicateType"`
	Predicate     slsa1.ProvenancePredicate `json:"predicate"`
}

type subject struct {
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// Statement returns the in-toto statement (JSON) of b: subject the artifact's digest, the source as
// the one resolved dependency, b.Parameters as external parameters (with the source repository and
// ref, as SLSA's git-based build types record them).
func Statement(b Build) ([]byte, error) {
	if err := b.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("provenance subject: %w", err)
	}
	params := map[string]any{}
	for k, v := range b.Parameters {
		params[k] = v
	}
	setIf(params, "source", b.Source.Repository)
	setIf(params, "ref", b.Source.Ref)
	st := statement{
		Type:          StatementType,
		Subject:       []subject{{Name: b.Name, Digest: map[string]string{b.Digest.Algorithm().String(): b.Digest.Encoded()}}},
		PredicateType: PredicateType,
		Predicate: slsa1.ProvenancePredicate{
			BuildDefinition: slsa1.ProvenanceBuildDefinition{BuildType: BuildType, ExternalParameters: params},
			RunDetails:      slsa1.ProvenanceRunDetails{Builder: slsa1.Builder{ID: orDefault(b.BuilderID, DefaultBuilderID)}},
		},
	}
	if b.BuilderVersion != "" {
		st.Predicate.RunDetails.Builder.Version = map[string]string{"kubectl-gitless": b.BuilderVersion}
	}
	if dep, ok := sourceDependency(b.Source); ok {
		st.Predicate.BuildDefinition.ResolvedDependencies = []slsa1.ResourceDescriptor{dep}
	}
	return json.Marshal(st)
}

func sourceDependency(s Source) (slsa1.ResourceDescriptor, bool) {
	if s.Repository == "" && s.Revision == "" {
		return slsa1.ResourceDescriptor{}, false
	}
	d := slsa1.ResourceDescriptor{URI: "git+" + s.Repository}
	if s.Repository == "" {
		d.URI = ""
	}
	if s.Ref != "" && d.URI != "" {
		d.URI += "@" + s.Ref
	}
	switch {
	case s.Dirty || strings.HasSuffix(s.Revision, "-dirty"):
		// no commit digest: the packed tree is not the commit's
		d.Annotations = map[string]any{"revision": s.Revision, "dirty": true}
	case s.Revision != "":
		d.Digest = common.DigestSet{gitCommit: s.Revision}
	}
	return d, true
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

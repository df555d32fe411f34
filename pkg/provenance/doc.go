// Package provenance builds, reads and checks SLSA provenance v1 attestations for gitless artifacts:
// an in-toto statement whose subject is the artifact's manifest digest and whose predicate names the
// source repository, revision and ref it was built from, and the builder. pkg/signature signs and stores
// them the way `cosign attest --type slsaprovenance1` does (a Sigstore bundle referrer, or the legacy
// ".att" tag) and verifies them under a policy's keys or identity; this package decides whether a
// verified statement satisfies a policy's provenance requirement (config.Provenance), and says which
// field did not.
//
// The source is recorded as SLSA's convention for git: a resolved dependency with the URI
// "git+<repository>@<ref>" and the digest {"gitCommit": "<sha>"}. A build from a dirty checkout has no
// commit digest; its revision "<sha>-dirty" is an annotation of the dependency.
//
// Reference: https://slsa.dev/spec/v1.0/provenance
// Reference: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
package provenance

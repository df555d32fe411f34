// Package signature signs and verifies gitless artifacts with cosign's formats, using cosign,
// sigstore and sigstore-go as libraries and oras-go for transport, so the same code works against
// a remote repository, an OCI image layout on disk, and through mirrors.
//
// Two storage formats are written and read, as cosign v2.6.5 does:
//
//   - FormatBundle: a Sigstore bundle v0.3 (application/vnd.dev.sigstore.bundle.v0.3+json) as an
//     OCI 1.1 referrer of the signed manifest (artifactType and a single layer of that media type,
//     empty config, annotations dev.sigstore.bundle.content=dsse-envelope and
//     dev.sigstore.bundle.predicateType=https://sigstore.dev/cosign/sign/v1). The bundle holds a
//     DSSE envelope over an in-toto statement whose subject is the manifest digest, byte for byte
//     what `cosign sign --new-bundle-format` writes. On registries without the referrers API,
//     oras-go maintains the referrers tag schema ("sha256-<hex>" index).
//   - FormatLegacy: a manifest tagged "sha256-<hex>.sig" whose layers are simple-signing payloads
//     (application/vnd.dev.cosign.simplesigning.v1+json) carrying the base64 signature in the
//     dev.cosignproject.cosign/signature annotation, as `cosign sign` writes by default.
//
// Verification reads bundles first, then the legacy tag, and examines a bounded number of
// candidates (MaxCandidates per source, manifests of at most MaxManifestSize bytes each), so that a registry
// holding a thousand bogus signatures makes verification fail fast rather than slowly.
//
// # Signed tag binding
//
// When a signature is made through a tag (WithTag), the tag is part of the signed content:
//
//   - legacy: the simple-signing payload's "optional" map carries "dev.gitless.tag": "<tag>"
//     beside critical.identity.docker-reference ("host/path") and
//     critical.image.docker-manifest-digest. This is the same place `cosign sign -a
//     dev.gitless.tag=<tag>` puts it, so cosign-made legacy signatures can bind tags too.
//   - bundle: `cosign sign -a` annotations do not reach the bundle, so the binding travels in the
//     signed in-toto statement: subject[0].name is "host/path" and the predicate is
//     {"dev.gitless.tag": "<tag>", ...annotations}. cosign ignores the predicate of its
//     sign/v1 type, so `cosign verify` still accepts these bundles.
//
// Verifying a tag reference requires some valid signature of the digest to bind that very tag
// for the same repository path (otherwise ErrTagNotBound, exit code 12), so a registry cannot
// serve version 1.0's digest under tag 2.0, nor another repository's 1.0 under this one's. The
// host is not compared, so bindings made on a hub hold on its mirrors. Verifying by digest needs no
// binding. When no valid signature binds any tag at all (plain `cosign sign`), a tag is refused
// unless the policy opts in with allowUnboundTags (or WithAllowUnboundTag), which is logged as a
// warning on every use and never applies to a Partial result (see Result.Partial).
//
// # Sources
//
// A Store that implements Sources (the sidecar's zone mirrors and hub) is listed per source: each
// source contributes at most MaxCandidates candidates, so none can crowd out another, and a listed
// signature no source can serve is skipped rather than ending the verification.
package signature

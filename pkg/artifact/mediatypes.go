// Package artifact publishes, fetches, inspects, lists and copies the OCI artifacts that carry
// Kubernetes configuration: the image-shaped default form, the OCI 1.1 artifact form, Helm charts,
// and, for reading, Flux artifacts and `oras push` directories.
package artifact

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Media types written and read.
const (
	// ArtifactType is the artifactType of `publish --format artifact`.
	ArtifactType = "application/vnd.gitless.config.v1+json"
	// MediaTypeLayer is the one tar+gzip layer of the image-shaped and artifact forms.
	MediaTypeLayer = ocispec.MediaTypeImageLayerGzip
	// MediaTypeHelmConfig, MediaTypeHelmChart and MediaTypeHelmLegacyChart are Helm's own.
	// Reference: https://helm.sh/docs/topics/registries/
	MediaTypeHelmConfig      = "application/vnd.cncf.helm.config.v1+json"
	MediaTypeHelmChart       = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	MediaTypeHelmLegacyChart = "application/tar+gzip"
	MediaTypeHelmProvenance  = "application/vnd.cncf.helm.chart.provenance.v1.prov"
	// MediaTypeFluxConfig and MediaTypeFluxContent are Flux's `flux push artifact` types.
	// Reference: https://fluxcd.io/flux/cheatsheets/oci-artifacts/
	MediaTypeFluxConfig  = "application/vnd.cncf.flux.config.v1+json"
	MediaTypeFluxContent = "application/vnd.cncf.flux.content.v1.tar+gzip"
	// mediaTypeDockerLayer and mediaTypeDockerManifest are Docker schema 2's, still served by some registries.
	mediaTypeDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerConfig   = "application/vnd.docker.container.image.v1+json"
	mediaTypeDockerIndex    = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// Signature, SBOM and attestation media types, for labelling referrers.
const (
	MediaTypeSigstoreBundle   = "application/vnd.dev.sigstore.bundle.v0.3+json"
	mediaTypeSigstoreBundleV  = "application/vnd.dev.sigstore.bundle+json"
	MediaTypeCosignSimpleSign = "application/vnd.dev.cosign.simplesigning.v1+json"
	mediaTypeInToto           = "application/vnd.in-toto+json"
	mediaTypeDSSE             = "application/vnd.dsse.envelope.v1+json"
	mediaTypeSPDX             = "application/spdx+json"
	mediaTypeSPDXText         = "text/spdx"
	mediaTypeCycloneDX        = "application/vnd.cyclonedx+json"
	mediaTypeCycloneDXXML     = "application/vnd.cyclonedx+xml"
)

// Annotations written by publish. The org.opencontainers.image.* keys are the spec's; the rest are ours.
// Reference: https://github.com/opencontainers/image-spec/blob/main/annotations.md
const (
	AnnotationKind       = "dev.gitless.content.kind"
	AnnotationRenderPath = "dev.gitless.render.path"
	// AnnotationOrasUnpack marks an `oras push` layer that is a tarball of a directory.
	AnnotationOrasUnpack = "io.deis.oras.content.unpack"
)

// Content kinds, as recorded in AnnotationKind.
const (
	KindPlain     = "plain"
	KindKustomize = "kustomize"
	KindHelm      = "helm"
)

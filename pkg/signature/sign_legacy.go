package signature

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"
)

// LegacyTag is the tag cosign v2 stores signatures of d under: "sha256-<hex>.sig".
func LegacyTag(d digest.Digest) string {
	return strings.Replace(d.String(), ":", "-", 1) + ".sig"
}

// signLegacy writes a simple-signing payload as cosign's signDigest does, appending a layer to
// an existing "sha256-<hex>.sig" manifest so earlier signatures are kept.
func signLegacy(ctx context.Context, target oras.Target, s *Signer, repository string, subject ocispec.Descriptor, o *signOptions) (ocispec.Descriptor, error) {
	layer, err := s.legacyLayer(ctx, target, repository, subject.Digest, o.signedAnnotations())
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	tag := LegacyTag(subject.Digest)
	existing, manifest, config, err := existingLegacy(ctx, target, tag)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, l := range manifest.Layers {
		if l.Digest == layer.Digest && l.Annotations[SignatureAnnotation] == layer.Annotations[SignatureAnnotation] {
			return existing, nil // deterministic keys (ed25519) re-sign identically
		}
	}
	return appendLegacy(ctx, target, tag, manifest, config, layer, "signature")
}

// appendLegacy adds layer to the legacy signature or attestation image at tag (cosign keeps one layer
// per signature in one image) and pushes its config and manifest under the tag.
func appendLegacy(ctx context.Context, target oras.Target, tag string, manifest ocispec.Manifest, config v1.ConfigFile, layer ocispec.Descriptor, what string) (ocispec.Descriptor, error) {
	manifest.Layers = append(manifest.Layers, layer)
	config.RootFS.DiffIDs = append(config.RootFS.DiffIDs, v1.Hash{Algorithm: layer.Digest.Algorithm().String(), Hex: layer.Digest.Encoded()})
	config.History = append(config.History, v1.History{})
	configBytes, err := json.Marshal(config)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if manifest.Config, err = pushBlob(ctx, target, ocispec.MediaTypeImageConfig, configBytes); err != nil {
		return ocispec.Descriptor{}, err
	}
	mb, err := json.Marshal(manifest)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := oras.TagBytes(ctx, target, ocispec.MediaTypeImageManifest, mb, tag)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("pushing %s %s: %w", what, tag, err)
	}
	return desc, nil
}

func (s *Signer) legacyLayer(ctx context.Context, target oras.Target, repository string, d digest.Digest, optional map[string]string) (ocispec.Descriptor, error) {
	sci := payload.SimpleContainerImage{
		Critical: payload.Critical{
			Identity: payload.Identity{DockerReference: repository},
			Image:    payload.Image{DockerManifestDigest: d.String()},
			Type:     payload.CosignSignatureType,
		},
	}
	if optional != nil {
		sci.Optional = make(map[string]any, len(optional))
		for k, v := range optional {
			sci.Optional[k] = v
		}
	}
	pb, err := json.Marshal(sci)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	sig, err := s.sv.SignMessage(bytes.NewReader(pb), sigopts.WithContext(ctx))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("signing: %w", err)
	}
	layer, err := pushBlob(ctx, target, SimpleSigningMediaType, pb)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layer.Annotations = map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}
	if s.cert != nil {
		layer.Annotations[CertificateAnnotation] = string(s.cert)
		layer.Annotations[ChainAnnotation] = string(s.chain)
	}
	return layer, nil
}

// existingLegacy returns the current signature manifest and config under tag, or empty ones
// shaped like cosign's (go-containerregistry's empty image with OCI media types).
func existingLegacy(ctx context.Context, target oras.Target, tag string) (ocispec.Descriptor, ocispec.Manifest, v1.ConfigFile, error) {
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest}
	cfg := v1.ConfigFile{RootFS: v1.RootFS{Type: "layers"}}
	desc, err := target.Resolve(ctx, tag)
	if errors.Is(err, errdef.ErrNotFound) {
		return desc, m, cfg, nil
	}
	if err != nil {
		return desc, m, cfg, fmt.Errorf("resolving %s: %w", tag, err)
	}
	mb, err := fetchLimited(ctx, target, desc, MaxManifestSize)
	if err != nil {
		return desc, m, cfg, fmt.Errorf("fetching %s: %w", tag, err)
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		return desc, m, cfg, fmt.Errorf("decoding %s: %w", tag, err)
	}
	cb, err := fetchLimited(ctx, target, m.Config, MaxManifestSize)
	if err != nil {
		return desc, m, cfg, fmt.Errorf("fetching config of %s: %w", tag, err)
	}
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return desc, m, cfg, fmt.Errorf("decoding config of %s: %w", tag, err)
	}
	return desc, m, cfg, nil
}

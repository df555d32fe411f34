package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// LayoutTag names the image in the layout's index.json, so `oras cp --from-oci-layout DIR:image` and
// `crane push DIR` find it.
const LayoutTag = "image"

func writeLayout(dir string, res *Result) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replacing %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing the layout %s: %w", dir, err)
	}
	opt := layout.WithAnnotations(map[string]string{ocispec.AnnotationRefName: LayoutTag})
	if res.Index != nil {
		err = p.AppendIndex(res.Index, opt)
	} else {
		err = p.AppendImage(res.Image, opt)
	}
	if err != nil {
		return fmt.Errorf("writing the image to %s: %w", dir, err)
	}
	return nil
}

// Push copies the image from the layout to ref (REGISTRY/REPO:TAG) with the registry client every
// gitless command uses (docker config credentials, plain HTTP on request), then attaches the SBOM as
// a referrer of the pushed digest (the referrers tag schema where the registry has no referrers API).
// It returns repo@digest.
func Push(ctx context.Context, res *Result, layoutDir, target string, plainHTTP bool) (string, error) {
	ref, err := registry.ParseReference(target)
	if err != nil {
		return "", err
	}
	if ref.Tag == "" {
		return "", fmt.Errorf("%s has no tag: push to REGISTRY/REPO:TAG", target)
	}
	src, err := oci.New(layoutDir)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", layoutDir, err)
	}
	opts := registry.DefaultOptions()
	opts.PlainHTTP = plainHTTP
	dst, err := opts.Open(ref)
	if err != nil {
		return "", err
	}
	desc, err := oras.Copy(ctx, src, LayoutTag, dst, ref.Tag, oras.DefaultCopyOptions)
	if err != nil {
		return "", registry.Classify(err, "pushing the image to "+target)
	}
	if desc.Digest.String() != res.Digest.String() {
		return "", fmt.Errorf("pushed %s but built %s: the layout %s is not this build's", desc.Digest, res.Digest, layoutDir)
	}
	if err := pushSBOM(ctx, dst, desc, res.SBOM, res.Created); err != nil {
		return "", err
	}
	return ref.WithDigest(desc.Digest).String(), nil
}

func pushSBOM(ctx context.Context, dst oras.Target, subject ocispec.Descriptor, sbom []byte, created time.Time) error {
	blob := ocispec.Descriptor{MediaType: MediaTypeSPDX, Digest: digest.FromBytes(sbom), Size: int64(len(sbom)),
		Annotations: map[string]string{ocispec.AnnotationTitle: "sbom.spdx.json"}}
	if err := dst.Push(ctx, blob, bytesReader(sbom)); err != nil && !alreadyExists(err) {
		return registry.Classify(err, "pushing the SBOM")
	}
	_, err := oras.PackManifest(ctx, dst, oras.PackManifestVersion1_1, MediaTypeSPDX, oras.PackManifestOptions{
		Subject: &subject, Layers: []ocispec.Descriptor{blob},
		ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: created.Format(time.RFC3339)},
	})
	if err != nil {
		return registry.Classify(err, "pushing the SBOM referrer")
	}
	return nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func alreadyExists(err error) bool { return errors.Is(err, errdef.ErrAlreadyExists) }

func digestOf(h interface{ String() string }) digest.Digest { return digest.Digest(h.String()) }

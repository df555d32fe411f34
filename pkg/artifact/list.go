package artifact

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// TagInfo is one row of `list`.
type TagInfo struct {
	Tag     string `json:"tag"`
	Digest  string `json:"digest"`
	Created string `json:"created,omitempty"`
	Kind    string `json:"kind"`
	Signed  bool   `json:"signed"`
}

// ListOptions control List.
type ListOptions struct {
	// All includes signature and referrer tags (*.sig, *.att, *.sbom, sha256-*).
	All bool
	// Concurrency bounds parallel manifest fetches; default 8.
	Concurrency int
}

// List returns the tags of repo with their digest, creation time, kind and whether they are signed.
func List(ctx context.Context, repo registry.Repository, opts ListOptions) ([]TagInfo, error) {
	var all []string
	if err := repo.Tags(ctx, "", func(tags []string) error { all = append(all, tags...); return nil }); err != nil {
		return nil, registry.Classify(err, "listing tags")
	}
	tagSet := map[string]bool{}
	for _, t := range all {
		tagSet[t] = true
	}
	var shown []string
	for _, t := range all {
		if opts.All || !isAttachmentTag(t) {
			shown = append(shown, t)
		}
	}
	slices.Sort(shown)
	rows := make([]TagInfo, len(shown))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(opts.Concurrency, 8))
	var mu sync.Mutex
	for i, tag := range shown {
		g.Go(func() error {
			row, err := describeTag(ctx, repo, tag, tagSet)
			if err != nil {
				return err
			}
			mu.Lock()
			rows[i] = row
			mu.Unlock()
			return nil
		})
	}
	return rows, g.Wait()
}

func describeTag(ctx context.Context, repo registry.Repository, tag string, tags map[string]bool) (TagInfo, error) {
	row := TagInfo{Tag: tag}
	desc, err := repo.Resolve(ctx, tag)
	if err != nil {
		return row, registry.Classify(err, "resolving "+tag)
	}
	row.Digest = desc.Digest.String()
	row.Kind = LabelUnknown
	if m, _, err := FetchManifest(ctx, repo, desc); err != nil {
		row.Kind = TypeOf(ctx, repo, desc) // an index (an OpenTofu provider, a multi-platform image)
	} else {
		row.Created = m.Annotations[ocispec.AnnotationCreated]
		if info, ok := ClassifyManifest(m); ok {
			row.Kind = info.Name
		} else if c, err := Locate(m); err == nil {
			row.Kind = orDefault(c.Kind, string(c.Format))
		} else if l := labelReferrer(ocispec.Descriptor{ArtifactType: orDefault(m.ArtifactType, m.Config.MediaType),
			Annotations: m.Annotations}); l != LabelUnknown {
			row.Kind = l
		}
	}
	if l, ok := legacyLabel(tag); ok && row.Kind == LabelUnknown {
		// cosign's legacy attachments are image-shaped; their tag says what they are
		row.Kind = l
	}
	row.Signed = tags[LegacyTag(desc, ".sig")] || hasBundle(ctx, repo, desc)
	return row, nil
}

func hasBundle(ctx context.Context, repo registry.Repository, desc ocispec.Descriptor) bool {
	refs, err := orasregistry.Referrers(ctx, repo, desc, "")
	if err != nil {
		return false
	}
	return slices.ContainsFunc(refs, func(d ocispec.Descriptor) bool { return labelReferrer(d) == LabelSigstoreBundle })
}

// isAttachmentTag reports cosign's and the referrers tag schema's tags.
func isAttachmentTag(t string) bool {
	if strings.HasPrefix(t, "sha256-") || strings.HasPrefix(t, "sha512-") {
		return true
	}
	for suffix := range legacySuffixes {
		if strings.HasSuffix(t, suffix) {
			return true
		}
	}
	return false
}

// legacyLabel labels cosign's sha256-<hex>.sig/.att/.sbom tags.
func legacyLabel(tag string) (string, bool) {
	if !strings.HasPrefix(tag, "sha256-") {
		return "", false
	}
	for suffix, label := range legacySuffixes {
		if strings.HasSuffix(tag, suffix) {
			return label, true
		}
	}
	return "", false
}

package cmp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/images"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/render"
)

// Pipeline renders verified artifacts. One Pipeline serves one generate call; it holds no state
// between calls besides the on-disk Cache.
type Pipeline struct {
	Config *config.Config
	// Cache, when set, keeps blobs and verification results by digest; a pinned, cached digest then
	// renders with no network at all.
	Cache  *cache.Cache
	Logger *slog.Logger
	// TempDir holds downloads and the extracted tree; default os.TempDir().
	TempDir string
	// Registry are the defaults for endpoints the configuration does not list.
	Registry registry.Options
	// AllowLayouts accepts oci-layout:PATH references (kubectl gitless render, a local preview). The
	// sidecar leaves it false: an Application must not make it read or create files on its host.
	AllowLayouts bool
	// ImagesLock, when set, receives the verified images lock of the artifact rendered
	// (`kubectl gitless render --check-images`).
	ImagesLock func(images.Lock)
	// Verifier checks signatures; nil means the one package cmp/verify registers in this process.
	Verifier Verifier

	skips skipLog // sources skipped during Generate, logged once at its end
}

// Generate writes the manifests of the artifact named by env to out, or nothing when any step fails.
func (p *Pipeline) Generate(ctx context.Context, env Env, out io.Writer) error {
	start := time.Now()
	defer p.skips.flush(p.log())
	var buf bytes.Buffer
	if err := p.generate(ctx, env, &buf); err != nil {
		return err
	}
	if err := p.refuseEmpty(env, buf.Len()); err != nil {
		return err
	}
	p.log().Info("rendered", "bytes", buf.Len(), "took", time.Since(start).Round(time.Millisecond).String())
	_, err := out.Write(buf.Bytes())
	return err
}

func (p *Pipeline) generate(ctx context.Context, env Env, out io.Writer) error {
	refStr, err := env.ArtifactRef()
	if err != nil {
		return err
	}
	ref, policy, err := p.admit(refStr, env.Project)
	if err != nil {
		return err
	}
	if env.TargetIsRange() {
		p.log().Info("targetRevision is a semver range: Argo CD picked the version, verifying its digest (no tag to bind)",
			"targetRevision", env.TargetRevision, "ref", ref.String())
	}
	src, err := p.sources(ctx, ref, env.Project)
	if err != nil {
		return err
	}
	desc, err := p.resolve(ctx, src, ref)
	if err != nil {
		return err
	}
	log := p.log().With("ref", ref.String(), "digest", desc.Digest.String())
	if err := p.verify(ctx, src, ref, env.Project, policy, desc, log); err != nil {
		return err
	}
	resolved, err := p.describe(ctx, src, ref, desc)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(p.TempDir, cache.TempPattern(renderDirPrefix))
	if err != nil {
		return fmt.Errorf("creating work directory: %w", err)
	}
	defer os.RemoveAll(dir)
	tree := filepath.Join(dir, "tree")
	if p.Cache != nil {
		// one download per digest across concurrent generates: the others wait, then read the cache
		unlock, err := p.Cache.Lock(ctx, resolved.Content.Layer.Digest)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if err := artifact.Materialize(ctx, src.blobSources(), resolved, tree, p.materializeOptions(dir)); err != nil {
		return err
	}
	log.Info("fetched", "format", resolved.Content.Format, "kind", resolved.Content.Kind, "path", resolved.Content.RenderPath)
	opts := RenderOptions(env, render.Kind(resolved.Content.Kind), resolved.Content.RenderPath)
	opts.SubchartLimits = limits(p.Config.Limits)
	opts.MaxOutputSize, opts.MaxMemory = p.Config.Limits.MaxRenderedSize, p.Config.Limits.MaxRenderMemory
	var rendered bytes.Buffer
	if err := render.Render(ctx, tree, opts, &rendered); err != nil {
		return err
	}
	pinned, err := p.pinImages(rendered.Bytes(), resolved, policy, log)
	if err != nil {
		return err
	}
	_, err = out.Write(pinned)
	return err
}

// resolve turns a tag into a digest once; every later step uses the digest. The upstream registry
// answers tags; a mirror's answer is used only when the upstream cannot be reached and the registry's
// mirrorTagFreshness allows it.
func (p *Pipeline) resolve(ctx context.Context, src *sources, ref registry.Reference) (ocispec.Descriptor, error) {
	if ref.Digest != "" {
		return p.pinned(ctx, src, ref)
	}
	up := src.upstream()
	d, err := p.resolveTag(ctx, up.repo, ref)
	if err == nil && p.Cache != nil {
		_ = p.Cache.MarkContact(ref.Registry)
	}
	if err == nil || !errors.Is(err, registry.ErrUnreachable) || len(src.endpoints) == 1 {
		return d, err
	}
	if ferr := p.mirrorTagAllowed(ref.Registry); ferr != nil {
		return d, fmt.Errorf("%w; %v", err, ferr)
	}
	p.log().Warn("upstream unreachable, resolving the tag at a mirror", "ref", ref.String(), "error", err)
	return artifact.ResolveDescriptor(ctx, mirrorsOnly(src), ref)
}

// pinned describes a pinned digest: from the cache when it holds the manifest (no network at all),
// else from the first source that has it.
func (p *Pipeline) pinned(ctx context.Context, src *sources, ref registry.Reference) (ocispec.Descriptor, error) {
	if p.Cache != nil {
		if d, ok := p.Cache.Descriptor(ref.Digest); ok {
			return d, nil
		}
	}
	d, err := src.Resolve(ctx, ref.Digest.String())
	if err != nil {
		return d, registry.Classify(err, "resolving "+ref.String())
	}
	return d, nil
}

// mirrorTagAllowed applies mirrorTagFreshness: a mirror's tag answer stands in for the hub's only while
// the hub answered within that window, which bounds how long a zone can be held on an old version.
func (p *Pipeline) mirrorTagAllowed(host string) error {
	reg := p.Config.RegistryFor(host)
	if reg == nil || reg.MirrorTagFreshness.Duration <= 0 {
		return fmt.Errorf("pin the digest, or set mirrorTagFreshness for %s to accept a mirror's tag", host)
	}
	var last time.Time
	var ok bool
	if p.Cache != nil {
		last, ok = p.Cache.LastContact(host)
	}
	if !ok || time.Since(last) > reg.MirrorTagFreshness.Duration {
		return fmt.Errorf("%s has not answered within mirrorTagFreshness (%s): pin the digest", host, reg.MirrorTagFreshness.Duration)
	}
	return nil
}

// admit parses the Application's reference and finds its policy before anything else happens: a
// layout path is refused (unless AllowLayouts), and a repository no policy covers, or whose policy is
// scoped to other Argo CD projects than the Application's, is refused before any source is opened or
// contacted.
func (p *Pipeline) admit(refStr, project string) (registry.Reference, *config.Policy, error) {
	ref, err := registry.ParseReference(refStr)
	if err != nil {
		return ref, nil, err
	}
	if ref.IsLayout() && !p.AllowLayouts {
		return ref, nil, fmt.Errorf("%w: %s", ErrLayoutRefused, refStr)
	}
	ref = p.upstream(ref)
	policy, err := p.Config.PolicyForProject(ref.Name(), project)
	if err != nil {
		return ref, nil, err
	}
	if len(policy.Projects) > 0 {
		p.log().Info("project allowed", "project", project, "policy", policy.Match)
	}
	return ref, policy, nil
}

// upstream maps a reference on a configured mirror (an OCI source naming the zone's registry, the
// only one an air-gapped repo-server reaches) to the upstream repository it copies: the upstream's
// policy and tag bindings apply, since the signatures name the upstream's path, and its sources are
// tried as for the upstream itself (mirror first). A host that is itself in registries[] is not
// mapped.
func (p *Pipeline) upstream(ref registry.Reference) registry.Reference {
	u, ok := p.Config.UpstreamReference(ref)
	if ok {
		p.log().Info("reference on a mirror: using its upstream repository's policy, tag bindings and sources", "mirror", ref.Name(), "upstream", u.Name())
	}
	return u
}

// describe fetches the manifest by digest, from the cache when it has it.
func (p *Pipeline) describe(ctx context.Context, src *sources, ref registry.Reference, desc ocispec.Descriptor) (*artifact.Resolved, error) {
	var fetcher content.Fetcher = src
	if p.Cache != nil {
		fetcher = &cachedFetcher{cache: p.Cache, next: src}
	}
	return artifact.Describe(ctx, fetcher, ref, desc)
}

func (p *Pipeline) materializeOptions(dir string) artifact.MaterializeOptions {
	o := artifact.MaterializeOptions{Limits: limits(p.Config.Limits), TempDir: dir}
	if p.Cache != nil {
		o.Cache = p.Cache
	}
	return o
}

func limits(l config.Limits) archive.Limits {
	return archive.Limits{MaxCompressedSize: l.MaxArtifactSize, MaxExtractedSize: l.MaxExtractedSize, MaxEntries: l.MaxFiles}
}

// RenderOptions maps the Argo CD environment onto render options, with the sidecar's defaults:
// release name = Application name, namespace = Application namespace.
func RenderOptions(env Env, kind render.Kind, path string) render.Options {
	return render.Options{
		Kind:               kind,
		Path:               path,
		ReleaseName:        orDefault(env.Params.ReleaseName, env.AppName),
		Namespace:          orDefault(env.Params.Namespace, env.AppNamespace),
		KubeVersion:        env.KubeVersion,
		APIVersions:        env.APIVersions,
		ValueFiles:         env.Params.ValueFiles,
		ValuesYAML:         env.Params.Values,
		Values:             env.Params.Set,
		KustomizeNamespace: env.Params.Namespace,
		NamePrefix:         env.Params.NamePrefix,
		NameSuffix:         env.Params.NameSuffix,
		Images:             env.Params.Images,
	}
}

func (p *Pipeline) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

package replicate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Outcome states of one artifact at one zone.
const (
	StateCopied  = "copied"
	StatePresent = "present"
	StateFailed  = "failed"
	// StatePlanned is --dry-run's: the artifact would be copied, for Reason.
	StatePlanned = "planned"
)

// ErrZonesFailed is returned by Run (with the report) when any zone failed for any artifact.
var ErrZonesFailed = errors.New("replication failed")

// Options control Run.
type Options struct {
	// Registry is the base registry options (timeouts, retries, user agent); each site's own settings
	// from the zones file apply on top.
	Registry registry.Options
	// DryRun lists the hub and compares the zones, and writes nothing.
	DryRun bool
	// Concurrency overrides the zones file's bound on zones handled at once.
	Concurrency int
	// PerZone bounds the artifacts copied at once to one zone; default 4.
	PerZone int
}

// Report is Run's result, shaped for -o json|yaml.
type Report struct {
	Hub       string        `json:"hub"`
	DryRun    bool          `json:"dryRun,omitempty"`
	Artifacts []*Artifact   `json:"artifacts"`
	Zones     []*ZoneReport `json:"zones"`
	Notes     []string      `json:"notes,omitempty"`
}

// ZoneReport says what happened at one zone.
type ZoneReport struct {
	Name     string     `json:"name"`
	Target   string     `json:"target"`
	Copied   int        `json:"copied"`
	Present  int        `json:"present"`
	Planned  int        `json:"planned,omitempty"`
	Failed   int        `json:"failed"`
	Outcomes []*Outcome `json:"artifacts"`
	// Images reports the locked images (images: true); an image that failed fails the zone.
	Images *ImagesReport `json:"images,omitempty"`
}

// Outcome is one artifact at one zone.
type Outcome struct {
	Reference string   `json:"reference"`
	Tags      []string `json:"tags"`
	State     string   `json:"state"`
	// Reason says why an artifact was (or would be) copied, or why it failed.
	Reason      string   `json:"reason,omitempty"`
	Pushed      int      `json:"pushed,omitempty"`
	TagsWritten []string `json:"tagsWritten,omitempty"`
}

// Failed reports whether any zone failed for any artifact or image.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Zones, func(z *ZoneReport) bool { return z.Failed > 0 || (z.Images != nil && z.Images.Failed > 0) })
}

// Run lists what the rules select on the hub and brings every zone up to it: what a zone lacks (by
// digest, referrer and tag) is copied with artifact.Copy's guarantees; what it has is only read (at
// most a tag resolve and a referrers listing per artifact). Zones are handled in parallel within a
// bound, and one failing zone does not stop the others: its failures are in the report, and Run then
// returns the report with ErrZonesFailed. A hub that cannot be listed is an error without a report.
func Run(ctx context.Context, s *Spec, opts Options) (*Report, error) {
	h := &hub{host: registry.NormalizeHost(s.Hub.Registry), opts: s.Hub.Options(opts.Registry)}
	plan, err := listPlan(ctx, s, h)
	if err != nil {
		return nil, err
	}
	rep := &Report{Hub: h.host, DryRun: opts.DryRun, Artifacts: plan.Artifacts, Notes: plan.Notes}
	rep.Zones = make([]*ZoneReport, len(s.Zones))
	var g errgroup.Group
	g.SetLimit(cmp.Or(opts.Concurrency, s.Concurrency, 4))
	for i := range s.Zones {
		g.Go(func() error {
			rep.Zones[i] = replicateZone(ctx, h, newZoneSite(&s.Zones[i], opts.Registry), plan, opts)
			return nil
		})
	}
	_ = g.Wait() // zone goroutines report their failures, they never return one
	if rep.Failed() {
		return rep, ErrZonesFailed
	}
	return rep, nil
}

// replicateZone brings one zone up to the plan. Once the zone is unreachable, the artifacts left are
// reported failed without being tried, so a dead zone costs one round of retries, not one per artifact.
func replicateZone(ctx context.Context, h *hub, zs *zoneSite, plan *Plan, opts Options) *ZoneReport {
	zr := &ZoneReport{Name: zs.zone.Name, Target: zs.zone.Registry, Outcomes: make([]*Outcome, len(plan.Artifacts))}
	var blocked map[*Artifact]string
	if plan.images {
		// images first: a zone never serves a configuration whose images it lacks
		zr.Images, blocked = replicateImages(ctx, h, zs, plan, opts.DryRun)
	}
	var down atomic.Value
	var g errgroup.Group
	g.SetLimit(cmp.Or(opts.PerZone, 4))
	for i, a := range plan.Artifacts {
		g.Go(func() error {
			ref := zs.zone.Reference(a.Repository)
			if d, ok := down.Load().(string); ok {
				zr.Outcomes[i] = &Outcome{Reference: ref.WithDigest(a.Digest).String(), Tags: a.Tags, State: StateFailed,
					Reason: "not tried: the zone is unreachable (" + d + ")"}
				return nil
			}
			if why, ok := blocked[a]; ok && !opts.DryRun {
				zr.Outcomes[i] = &Outcome{Reference: ref.WithDigest(a.Digest).String(), Tags: a.Tags, State: StateFailed, Reason: why}
				return nil
			}
			out, err := replicateArtifact(ctx, h, zs, a, opts.DryRun)
			if errors.Is(err, registry.ErrUnreachable) {
				down.CompareAndSwap(nil, out.Reason)
			}
			zr.Outcomes[i] = out
			return nil
		})
	}
	_ = g.Wait()
	for _, o := range zr.Outcomes {
		switch o.State {
		case StateCopied:
			zr.Copied++
		case StatePresent:
			zr.Present++
		case StatePlanned:
			zr.Planned++
		default:
			zr.Failed++
		}
	}
	return zr
}

// replicateArtifact returns the outcome, and for a failure the error too, for its kind.
func replicateArtifact(ctx context.Context, h *hub, zs *zoneSite, a *Artifact, dryRun bool) (*Outcome, error) {
	repo, ref, err := zs.open(ctx, a.Repository, a.desc)
	out := &Outcome{Reference: ref.WithDigest(a.Digest).String(), Tags: a.Tags}
	if err != nil {
		return out.fail(err), err
	}
	lacks, err := missing(ctx, repo, a)
	if err != nil {
		return out.fail(err), err
	}
	if len(lacks) == 0 {
		out.State = StatePresent
		return out, nil
	}
	out.Reason = strings.Join(lacks, "; ")
	if dryRun {
		out.State = StatePlanned
		return out, nil
	}
	src, err := h.open(a.Repository)
	if err != nil {
		return out.fail(err), err
	}
	hubRef := registry.Reference{Registry: h.host, Repository: a.Repository, Digest: a.Digest}
	copied, err := artifact.Copy(ctx, src, hubRef, repo, ref, a.Tags, artifact.CopyOptions{})
	if err != nil {
		return out.fail(err), err
	}
	out.State, out.Pushed, out.TagsWritten = StateCopied, copied.Pushed, copied.TagsWritten
	return out, nil
}

func (o *Outcome) fail(err error) *Outcome {
	o.State, o.Reason = StateFailed, err.Error()
	return o
}

// missing says what the zone lacks of a: tags absent or pointing elsewhere, referrers the hub has and
// the zone does not, legacy signature tags. It reads one tag per tag, then (only when every tag is in
// place) one referrers listing and the legacy tags the hub has.
func missing(ctx context.Context, repo registry.Repository, a *Artifact) ([]string, error) {
	var lacks []string
	for _, t := range a.Tags {
		d, err := repo.Resolve(ctx, t)
		switch {
		case isNotFound(err):
			lacks = append(lacks, "tag "+t+" missing")
		case err != nil:
			return nil, registry.Classify(err, "resolving tag "+t+" at the zone")
		case d.Digest != a.Digest:
			lacks = append(lacks, fmt.Sprintf("tag %s points at %s, the hub's at %s", t, d.Digest, a.Digest))
		}
	}
	if len(lacks) > 0 {
		return lacks, nil
	}
	return missingAttachments(ctx, repo, a)
}

// missingAttachments says which of the hub's referrers and legacy signature tags of a the zone lacks.
func missingAttachments(ctx context.Context, repo registry.Repository, a *Artifact) ([]string, error) {
	var lacks []string
	have, err := referrers(ctx, repo, a.desc)
	if err != nil {
		return nil, fmt.Errorf("at the zone: %w", err)
	}
	n := 0
	for _, r := range a.referrers {
		if !slices.ContainsFunc(have, func(h2 ocispec.Descriptor) bool { return h2.Digest == r.Digest }) {
			n++
		}
	}
	if n > 0 {
		lacks = append(lacks, fmt.Sprintf("%d of the hub's %d referrers missing", n, len(a.referrers)))
	}
	for _, t := range sortedKeys(a.legacy) {
		d, err := repo.Resolve(ctx, t)
		switch {
		case isNotFound(err):
			lacks = append(lacks, "signature tag "+t+" missing")
		case err != nil:
			return nil, registry.Classify(err, "resolving "+t+" at the zone")
		case d.Digest != a.legacy[t]:
			lacks = append(lacks, "signature tag "+t+" differs from the hub's")
		}
	}
	return lacks, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

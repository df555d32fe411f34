package cmp_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// TestGenerateNotation: the sidecar renders an artifact a Notation signature covers, through the
// zone mirror, under a policy that trusts only Notation; a tag Notation-signed by gitless is bound
// (a rollback to another signed digest is refused), and a tag only a plain Notation signature
// covers is refused unless the policy sets allowUnboundTags.
func TestGenerateNotation(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			ctx := context.Background()
			w := &world{opts: registry.DefaultOptions(), refs: map[string]string{}}
			w.opts.PlainHTTP, w.opts.MaxRetries = true, 1
			w.hub, w.zone = testregistry.New(t, kind), testregistry.New(t, kind)
			dir := t.TempDir()
			leaf := sigtest.NewCA(t, "notation root").IssueNotation(t, dir, "platform", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			signer, err := signature.LoadNotationSigner(leaf.KeyPath, leaf.CertPath)
			must(t, err)
			sign := func(ref string, bindTag bool) {
				r, err := registry.ParseReference(ref)
				must(t, err)
				repo, err := w.opts.Open(r)
				must(t, err)
				reference := r.Reference()
				if !bindTag { // as plain `notation sign` does: the digest only
					d, err := artifact.ResolveDescriptor(ctx, repo, r)
					must(t, err)
					reference = d.Digest.String()
				}
				_, _, err = signature.SignReference(ctx, repo, signer, r.Name(), reference, signature.WithFormat(signature.FormatNotation))
				must(t, err)
				zoneRef := r
				zoneRef.Registry = w.zone.Host
				zoneRepo, err := w.opts.Open(zoneRef)
				must(t, err)
				_, err = artifact.Copy(ctx, repo, r, zoneRepo, zoneRef, nil, artifact.CopyOptions{})
				must(t, err)
			}
			bound := w.publish(t, "../../examples/plain", "platform/app", "1.4.0", false)
			sign(bound, true)
			old := w.publish(t, "../../examples/plain/configmap.yaml", "platform/app", "1.3.0", false)
			sign(old, true)
			unbound := w.publish(t, "../../examples/plain/service.yaml", "platform/app", "plain", false)
			sign(unbound, false)
			cfg := func(extra string) *config.Config {
				c, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: %s
    plainHTTP: true
    mirrors: [{host: %s, plainHTTP: true}]
policies:
  - match: "%s/platform/**"
    notation: {certificates: [%s], trustedIdentities: ["%s"]}
%s`, w.hub.Host, w.zone.Host, w.hub.Host, leaf.RootPath, leaf.Subject, extra)))
				must(t, err)
				return c
			}
			env := func(ref string) cmp.Env {
				return cmp.Env{AppName: "app", AppNamespace: "apps", Params: cmp.Params{Ref: ref}}
			}
			if out, logs, err := generate(t, cfg(""), nil, env(bound)); err != nil || !strings.Contains(out, "kind: Deployment") {
				t.Fatalf("generate (bound tag): %v\n%s", err, logs)
			}
			if out, _, err := generate(t, cfg(""), nil, env(unbound)); signature.ExitCode(err) != signature.ExitNoValid || out != "" {
				t.Fatalf("generate (unbound tag) = %v, stdout %q; want refused", err, out)
			}
			if out, logs, err := generate(t, cfg("    allowUnboundTags: true\n"), nil, env(unbound)); err != nil || !strings.Contains(out, "kind: Service") ||
				!strings.Contains(logs, "allowUnboundTags") {
				t.Fatalf("generate (unbound tag, allowUnboundTags): %v\n%s", err, logs)
			}
			// rollback: 1.4.0 moved onto 1.3.0's signed digest is refused, allowUnboundTags or not
			r, _ := registry.ParseReference(old)
			repo, _ := w.opts.Open(r)
			d, err := artifact.ResolveDescriptor(ctx, repo, r)
			must(t, err)
			must(t, repo.Tag(ctx, d, "1.4.0"))
			if out, _, err := generate(t, cfg("    allowUnboundTags: true\n"), nil, env(bound)); signature.ExitCode(err) != signature.ExitNoValid || out != "" {
				t.Fatalf("generate (rolled-back tag) = %v, stdout %q; want refused", err, out)
			}
		})
	}
}

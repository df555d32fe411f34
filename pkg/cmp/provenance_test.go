package cmp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/provenance"
	"github.com/gitless-dev/gitless/pkg/signature"
)

const provenancePolicy = `    provenance:
      sourceRepositories: ["https://git.example.com/platform/*"]
      refs: [refs/heads/main]
`

// attestExample attaches a provenance attestation of the example name, built from ref, signed by signer.
func (w *world) attestExample(t *testing.T, name, ref string, signer *signature.Signer, format signature.Format) {
	t.Helper()
	r, repo, d := w.resolveRef(t, w.refs[name])
	st, err := provenance.Statement(provenance.Build{Name: r.Name(), Digest: d.Digest,
		Source: provenance.Source{Repository: "https://git.example.com/platform/config.git", Revision: strings.Repeat("ab", 20), Ref: ref}})
	must(t, err)
	_, err = signature.Attest(context.Background(), repo, signer, d, provenance.PredicateType, st, signature.WithFormat(format))
	must(t, err)
}

// TestGenerateRequiresProvenance: under a policy with provenance, the sidecar renders only an artifact
// whose provenance attestation is signed under the policy's key and names an allowed source and ref;
// every refusal prints nothing and names the cause. An accepted provenance is cached with the digest.
func TestGenerateRequiresProvenance(t *testing.T) {
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			w := newWorld(t, kind, nil, nil)
			cfg := w.config(t, provenancePolicy)
			w.attestExample(t, "kustomize", "refs/heads/main", w.signer, signature.FormatBundle)
			w.attestExample(t, "helm", "refs/heads/feature", w.signer, signature.FormatLegacy)
			w.attestExample(t, "plain", "refs/heads/main", otherSigner(t), signature.FormatBundle)
			c, err := cache.New(t.TempDir(), 0)
			must(t, err)
			env := func(name string) cmp.Env {
				return cmp.Env{AppName: "gb", AppNamespace: "apps", Params: cmp.Params{Ref: w.refs[name]}}
			}
			out, logs, err := generate(t, cfg, c, env("kustomize"))
			if err != nil || !strings.Contains(out, "namespace: zone-a") || !strings.Contains(logs, "provenance verified") {
				t.Fatalf("attested artifact: %v\n%s", err, logs)
			}
			for _, tc := range []struct {
				name, want string
				is         error
			}{
				{"helm", "ref refs/heads/feature is not allowed", provenance.ErrProvenanceRefused},
				{"plain", "no provenance attestation verifies", provenance.ErrProvenanceRefused},
			} {
				out, logs, err := generate(t, cfg, c, env(tc.name))
				if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) || out != "" {
					t.Fatalf("%s: err %v, output %d bytes, want %q\n%s", tc.name, err, len(out), tc.want, logs)
				}
			}
			// no attestation at all
			bare := w.publish(t, examples["plain"].dir, "platform/bare", "1.0.0", true)
			out, _, err = generate(t, cfg, c, cmp.Env{AppName: "gb", AppNamespace: "apps", Params: cmp.Params{Ref: bare}})
			if !errors.Is(err, provenance.ErrNoProvenance) || out != "" {
				t.Fatalf("no attestation: %v", err)
			}
		})
	}
}

// TestGenerateProvenanceCachedNeedsNoNetwork: an accepted provenance is cached with the digest, so a
// pinned, cached digest renders with the registries down, as without a provenance requirement.
func TestGenerateProvenanceCachedNeedsNoNetwork(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	cfg := w.config(t, provenancePolicy)
	w.attestExample(t, "kustomize", "refs/heads/main", w.signer, signature.FormatBundle)
	c, err := cache.New(t.TempDir(), 0)
	must(t, err)
	ref, _, d := w.resolveRef(t, w.refs["kustomize"])
	env := cmp.Env{AppName: "gb", AppNamespace: "apps", Params: cmp.Params{Ref: ref.WithDigest(d.Digest).String()}}
	cold, logs, err := generate(t, cfg, c, env)
	if err != nil {
		t.Fatalf("cold: %v\n%s", err, logs)
	}
	w.hub.Close()
	w.zone.Close()
	warm, logs, err := generate(t, cfg, c, env)
	if err != nil || warm != cold || !strings.Contains(logs, "provenance verified (cached)") {
		t.Fatalf("warm with registries down: %v\n%s", err, logs)
	}
}

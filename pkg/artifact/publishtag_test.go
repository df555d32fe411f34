package artifact_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/signature"
)

func TestPublishDoesNotMoveASignedTagSilently(t *testing.T) {
	cases := []struct {
		name      string
		signOld   []signature.Format
		opts      artifact.PublishOptions
		wantErr   bool
		wantWarn  bool
		wantMoved bool
	}{
		{name: "signed (bundle), unsigned publish", signOld: []signature.Format{signature.FormatBundle}, wantErr: true},
		{name: "signed (legacy .sig), unsigned publish", signOld: []signature.Format{signature.FormatLegacy}, wantErr: true},
		{name: "signed, --force", signOld: []signature.Format{signature.FormatBundle}, opts: artifact.PublishOptions{Force: true}, wantWarn: true, wantMoved: true},
		{name: "signed, --sign", signOld: []signature.Format{signature.FormatBundle}, opts: artifact.PublishOptions{Signing: true}, wantMoved: true},
		{name: "unsigned tag", wantMoved: true},
	}
	for _, kind := range testregistry.Kinds {
		for _, c := range cases {
			t.Run(string(kind)+"/"+c.name, func(t *testing.T) {
				tg := remoteTarget(t, string(kind), testregistry.New(t, kind), "platform/app")
				ref := tg.ref.WithTag("1.0.0")
				old, err := artifact.Publish(ctx(t), tg.repo, ref, example(t, "plain"), []string{"1.0.0"}, artifact.PublishOptions{Created: fixedCreated})
				if err != nil {
					t.Fatal(err)
				}
				kp := sigtest.NewKeyPair(t, t.TempDir(), "hub")
				for _, f := range c.signOld {
					if _, _, err := signature.SignReference(ctx(t), tg.repo, kp.Signer, ref.Name(), "1.0.0", signature.WithFormat(f)); err != nil {
						t.Fatal(err)
					}
				}
				var warnings []string
				c.opts.Created = fixedCreated
				c.opts.Warn = func(m string) { warnings = append(warnings, m) }
				res, err := artifact.Publish(ctx(t), tg.repo, ref, example(t, "helm/guestbook"), []string{"1.0.0"}, c.opts)
				if c.wantErr {
					if !errors.Is(err, artifact.ErrSignedTagMoved) || !strings.Contains(err.Error(), old.Digest.String()) || !strings.Contains(err.Error(), "--force") {
						t.Fatalf("err = %v, want ErrSignedTagMoved naming %s and --force", err, old.Digest)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if got := len(warnings) == 1 && strings.Contains(warnings[0], old.Digest.String()); got != c.wantWarn {
					t.Errorf("warnings = %q, want one naming %s: %v", warnings, old.Digest, c.wantWarn)
				}
				now, err := tg.repo.Resolve(ctx(t), "1.0.0")
				if err != nil {
					t.Fatal(err)
				}
				if moved := now.Digest != old.Digest; moved != c.wantMoved || (moved && now.Digest != res.Digest) {
					t.Errorf("tag at %s (old %s, new %s), want moved %v", now.Digest, old.Digest, res.Digest, c.wantMoved)
				}
			})
		}
	}
}

package cmp_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// signedEmpty publishes an empty directory (as `publish --allow-empty` does) to a fresh hub, signs it
// and returns its tagged reference and the public key's path.
func signedEmpty(t *testing.T) (hub *testregistry.Registry, ref registry.Reference, pubPath string) {
	t.Helper()
	hub = testregistry.New(t, testregistry.Referrers)
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	ref, err := registry.ParseReference(hub.Host + "/platform/empty:1.0.0")
	must(t, err)
	repo, err := opts.Open(ref)
	must(t, err)
	_, err = artifact.Publish(context.Background(), repo, ref, t.TempDir(), []string{"1.0.0"},
		artifact.PublishOptions{Created: time.Unix(1700000000, 0), AllowEmpty: true})
	must(t, err)
	dir := t.TempDir()
	priv, pub, err := signature.GenerateKeyPair([]byte("pw"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "cosign.key"), priv, 0o600))
	pubPath = filepath.Join(dir, "cosign.pub")
	must(t, os.WriteFile(pubPath, pub, 0o644))
	signer, err := signature.LoadSigner(filepath.Join(dir, "cosign.key"), []byte("pw"))
	must(t, err)
	_, _, err = signature.SignReference(context.Background(), repo, signer, ref.Name(), "1.0.0")
	must(t, err)
	return hub, ref, pubPath
}

func TestGenerateRefusesEmptyRenderUnlessPolicyAllows(t *testing.T) {
	hub, ref, pub := signedEmpty(t)
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allowEmpty=%v", allow), func(t *testing.T) {
			cfg, err := config.Parse([]byte(fmt.Sprintf(`apiVersion: gitless.dev/v1alpha1
kind: Config
registries: [{host: %s, plainHTTP: true}]
policies:
  - match: "%s/platform/**"
    keys: [%s]
    allowEmpty: %v
`, hub.Host, hub.Host, pub, allow)))
			must(t, err)
			out, logs, err := generate(t, cfg, nil, cmp.Env{AppName: "empty", AppNamespace: "apps", Params: cmp.Params{Ref: ref.String()}})
			if out != "" {
				t.Fatalf("stdout = %q, want empty", out)
			}
			if !allow {
				if !errors.Is(err, cmp.ErrEmptyRender) || !strings.Contains(err.Error(), "allowEmpty: true") {
					t.Fatalf("err = %v, want ErrEmptyRender naming allowEmpty", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused although the policy allows empty: %v", err)
			}
			if !strings.Contains(logs, "allowEmpty") {
				t.Errorf("an allowed empty render was not logged:\n%s", logs)
			}
		})
	}
}

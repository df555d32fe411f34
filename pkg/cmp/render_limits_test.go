package cmp_test

import (
	"errors"
	"testing"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// TestGenerateRenderLimitsFromConfig checks that the sidecar's limits reach the renderer.
func TestGenerateRenderLimitsFromConfig(t *testing.T) {
	w := newWorld(t, testregistry.Referrers, nil, nil)
	env := cmp.Env{AppName: "guestbook", AppNamespace: "apps", Params: cmp.Params{Ref: w.refs["plain"]}}
	if out, logs, err := generate(t, w.config(t, "limits: {maxRenderedSize: 1048576}"), nil, env); err != nil || out == "" {
		t.Fatalf("generate within the cap: %v, %d bytes\n%s", err, len(out), logs)
	}
	out, _, err := generate(t, w.config(t, "limits: {maxRenderedSize: 100}"), nil, env)
	if !errors.Is(err, errdef.ErrOutputTooLarge) || out != "" {
		t.Fatalf("generate over the cap = %v, %d bytes; want ErrOutputTooLarge and no output", err, len(out))
	}
}

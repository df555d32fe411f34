package render_test

import (
	"os"
	"testing"

	"github.com/gitless-dev/gitless/pkg/render"
)

// TestMain lets Render start this test binary as its renderer child, as main does.
func TestMain(m *testing.M) {
	render.Init()
	os.Exit(m.Run())
}

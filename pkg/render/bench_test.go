package render_test

import (
	"context"
	"io"
	"testing"

	"github.com/gitless-dev/gitless/pkg/render"
)

func BenchmarkRender(b *testing.B) {
	for _, tc := range examples {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if err := render.Render(context.Background(), tc.root, tc.opts, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

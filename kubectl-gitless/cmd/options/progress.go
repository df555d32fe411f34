package options

import (
	"io"
	"os"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/gitless-dev/gitless/pkg/artifact"
)

// Progress shows a bar per blob transfer on stderr when stderr is a terminal, and nothing otherwise.
type Progress struct {
	w io.Writer
}

// NewProgress returns a Progress writing to w, or nil when w is not a terminal or quiet is set.
func NewProgress(w io.Writer, quiet bool) artifact.Progress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &Progress{w: w}
}

// Track wraps r so that reading it advances a bar for desc.
func (p *Progress) Track(desc ocispec.Descriptor, r io.Reader) io.ReadCloser {
	bar := progressbar.NewOptions64(desc.Size,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription(short(desc)),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
	pr := progressbar.NewReader(r, bar)
	return &pr
}

func short(desc ocispec.Descriptor) string {
	d := desc.Digest.Encoded()
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

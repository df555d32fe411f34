package archive

import "fmt"

// Limits bounds what Extract and List accept. A zero field takes the value
// from DefaultLimits, so a caller can override one limit and keep the rest.
type Limits struct {
	// MaxCompressedSize caps the bytes read from the source stream.
	MaxCompressedSize int64
	// MaxExtractedSize caps the sum of the file sizes, counted both from the
	// headers and from the bytes actually copied. The decompressed tar stream
	// may exceed it only by a bounded per-entry header allowance, which bounds
	// the ratio of a gzip bomb.
	MaxExtractedSize int64
	// MaxFileSize caps the size of a single file.
	MaxFileSize int64
	// MaxEntries caps the number of entries of any type.
	MaxEntries int
	// MaxDepth caps the number of path components of an entry name.
	MaxDepth int
	// MaxPathLength caps the length in bytes of an entry name and of a
	// symlink target.
	MaxPathLength int
}

const (
	kib = 1 << 10
	mib = 1 << 20
)

// DefaultLimits returns the limits used when none are given: 100 MiB read,
// 500 MiB extracted, 100 MiB per file, 10,000 entries, depth 32 and paths of
// 4,096 bytes. They are generous for Kubernetes configuration and Helm charts
// and small enough for a repo-server sidecar.
func DefaultLimits() Limits {
	return Limits{
		MaxCompressedSize: 100 * mib,
		MaxExtractedSize:  500 * mib,
		MaxFileSize:       100 * mib,
		MaxEntries:        10_000,
		MaxDepth:          32,
		MaxPathLength:     4 * kib,
	}
}

// WithDefaults returns l with its zero fields taken from DefaultLimits, as Extract and List apply them.
func (l Limits) WithDefaults() Limits { return l.withDefaults() }

// withDefaults fills the zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxCompressedSize == 0 {
		l.MaxCompressedSize = d.MaxCompressedSize
	}
	if l.MaxExtractedSize == 0 {
		l.MaxExtractedSize = d.MaxExtractedSize
	}
	if l.MaxFileSize == 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxEntries == 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxPathLength == 0 {
		l.MaxPathLength = d.MaxPathLength
	}
	return l
}

func (l Limits) validate() error {
	if l.MaxCompressedSize < 0 || l.MaxExtractedSize < 0 || l.MaxFileSize < 0 ||
		l.MaxEntries < 0 || l.MaxDepth < 0 || l.MaxPathLength < 0 {
		return fmt.Errorf("%w: negative limit in %+v", ErrInvalidOption, l)
	}
	return nil
}

// streamCap is the most decompressed tar bytes a valid archive within l can
// hold: the file data plus, per entry, a header, padding and PAX records
// for a path and a link target of the maximum length.
func (l Limits) streamCap() int64 {
	const blocks = 4 * 512
	perEntry := int64(blocks + 2*l.MaxPathLength)
	return l.MaxExtractedSize + int64(l.MaxEntries+2)*perEntry + mib
}

// ExtractOption configures Extract and List.
type ExtractOption func(*extractConfig)

type extractConfig struct {
	limits Limits
}

// WithLimits sets the limits for Extract and List; zero fields keep their
// defaults.
func WithLimits(l Limits) ExtractOption {
	return func(c *extractConfig) { c.limits = l }
}

func newExtractConfig(opts []ExtractOption) (extractConfig, error) {
	c := extractConfig{limits: DefaultLimits()}
	for _, o := range opts {
		o(&c)
	}
	if err := c.limits.validate(); err != nil {
		return c, err
	}
	c.limits = c.limits.withDefaults()
	return c, nil
}

package archive

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

// DefaultIgnoreFile is the ignore file Pack reads from the root unless
// WithIgnoreFile says otherwise.
const DefaultIgnoreFile = ".gitlessignore"

// PackOption configures Pack.
type PackOption func(*packConfig)

type packConfig struct {
	prefix     string
	modTime    time.Time
	ignoreFile string
	filter     func(rel string, d fs.DirEntry) bool
}

// WithPrefix places every entry under the directory dir (slash-separated,
// relative, without ".."), which gets its own directory entries. Helm chart
// archives need "<chartname>".
func WithPrefix(dir string) PackOption {
	return func(c *packConfig) { c.prefix = dir }
}

// WithModTime sets the mtime written for every entry, truncated to whole
// seconds. The default is the Unix epoch (1970-01-01T00:00:00Z): tar stores
// it exactly, and the 1980 floor of ZIP and FAT does not apply to tar. Pass
// the time of the source commit or SOURCE_DATE_EPOCH to carry it instead.
func WithModTime(t time.Time) PackOption {
	return func(c *packConfig) { c.modTime = t }
}

// WithIgnoreFile names the ignore file (gitignore syntax, see the package
// documentation of the supported subset) read from the root; the default is
// DefaultIgnoreFile and "" disables it. A missing file ignores nothing. The
// ignore file itself is packed unless it lists itself, so extracting and
// packing again gives the same bytes. Entries named ".git" are always
// excluded.
func WithIgnoreFile(name string) PackOption {
	return func(c *packConfig) { c.ignoreFile = name }
}

// WithFilter adds a filter called for every path the ignore rules kept; rel is
// slash-separated and relative to the root. Returning false excludes the
// path, and for a directory everything below it.
func WithFilter(keep func(rel string, d fs.DirEntry) bool) PackOption {
	return func(c *packConfig) { c.filter = keep }
}

func newPackConfig(opts []PackOption) (packConfig, error) {
	c := packConfig{modTime: time.Unix(0, 0), ignoreFile: DefaultIgnoreFile}
	for _, o := range opts {
		o(&c)
	}
	c.modTime = c.modTime.UTC().Truncate(time.Second)
	prefix, err := cleanPrefix(c.prefix)
	if err != nil {
		return c, err
	}
	c.prefix = prefix
	return c, nil
}

func cleanPrefix(p string) (string, error) {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "", nil
	}
	if err := checkRawName(p); err != nil {
		return "", fmt.Errorf("%w: prefix: %w", ErrInvalidOption, err)
	}
	if p = path.Clean(p); p == "." {
		return "", nil
	}
	return p, nil
}

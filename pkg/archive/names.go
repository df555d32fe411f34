package archive

import (
	"fmt"
	"path"
	"strings"
)

// cleanName validates a member name taken from an archive and returns it in
// canonical form (no leading "./", no trailing "/"). It returns "" with a nil
// error for the top "." directory entry, which carries nothing to extract.
func cleanName(name string, isDir bool, l Limits) (string, error) {
	if isDir && (name == "." || name == "./") {
		return "", nil
	}
	if err := checkRawName(name); err != nil {
		return "", err
	}
	clean := path.Clean(strings.TrimPrefix(name, "./"))
	if clean == "." || clean == "/" {
		return "", fmt.Errorf("%w: entry %q resolves to the root", ErrUnsafePath, name)
	}
	if len(clean) > l.MaxPathLength {
		return "", fmt.Errorf("%w: entry %q: path length %d exceeds %d", ErrLimitExceeded, truncate(name), len(clean), l.MaxPathLength)
	}
	if depth := strings.Count(clean, "/") + 1; depth > l.MaxDepth {
		return "", fmt.Errorf("%w: entry %q: path depth %d exceeds %d", ErrLimitExceeded, truncate(name), depth, l.MaxDepth)
	}
	return clean, nil
}

// checkRawName refuses names that are absolute, climb with "..", or hold
// characters that other platforms read as separators or terminators.
func checkRawName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: entry with an empty name", ErrUnsafePath)
	case strings.HasPrefix(name, "/"):
		return fmt.Errorf("%w: entry %q is absolute", ErrUnsafePath, truncate(name))
	case strings.ContainsAny(name, "\\\x00"):
		return fmt.Errorf("%w: entry %q contains a backslash or NUL", ErrUnsafePath, truncate(name))
	case hasDotDot(name):
		return fmt.Errorf("%w: entry %q contains \"..\"", ErrUnsafePath, truncate(name))
	}
	return nil
}

func hasDotDot(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// truncate keeps error messages readable when a hostile name is huge.
func truncate(s string) string {
	const maxShown = 200
	if len(s) <= maxShown {
		return s
	}
	return s[:maxShown] + "..."
}

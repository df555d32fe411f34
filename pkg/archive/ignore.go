package archive

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"strings"
)

// ignoreRule is one pattern of an ignore file.
type ignoreRule struct {
	negate  bool
	dirOnly bool
	segs    []string // path.Match patterns, one per path component; "**" spans any number
}

// ignoreMatcher implements the subset of gitignore(5) that configuration
// trees need: comments, "!" negation, a trailing "/" for directories, "*",
// "?", "[...]", "**", and patterns anchored by a leading or middle "/". The
// last matching rule wins; as in git, nothing inside an ignored directory can
// be re-included, because the walk does not descend into it.
//
// Reference: https://git-scm.com/docs/gitignore#_pattern_format
type ignoreMatcher struct {
	rules []ignoreRule
}

func parseIgnore(data []byte) (*ignoreMatcher, error) {
	m := &ignoreMatcher{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		r, ok, err := parseIgnoreLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if ok {
			m.rules = append(m.rules, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

func parseIgnoreLine(line string) (ignoreRule, bool, error) {
	line = trimTrailingSpaces(strings.TrimSuffix(line, "\r"))
	if line == "" || strings.HasPrefix(line, "#") {
		return ignoreRule{}, false, nil
	}
	var r ignoreRule
	if strings.HasPrefix(line, "!") {
		r.negate, line = true, line[1:]
	} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly, line = true, strings.TrimRight(line, "/")
	}
	anchored := strings.Contains(line, "/")
	line = strings.TrimPrefix(line, "/")
	if line == "" {
		return ignoreRule{}, false, nil
	}
	r.segs = strings.Split(line, "/")
	if !anchored {
		r.segs = append([]string{"**"}, r.segs...)
	}
	for i, s := range r.segs {
		r.segs[i] = strings.ReplaceAll(s, "[!", "[^")
		if _, err := path.Match(r.segs[i], ""); err != nil {
			return ignoreRule{}, false, fmt.Errorf("pattern %q: %w", line, err)
		}
	}
	return r, true, nil
}

// trimTrailingSpaces drops trailing spaces unless the last one is escaped.
func trimTrailingSpaces(s string) string {
	for strings.HasSuffix(s, " ") && !strings.HasSuffix(s, `\ `) {
		s = s[:len(s)-1]
	}
	return s
}

// ignored reports whether rel (slash-separated, relative to the root) is
// excluded. A nil matcher ignores nothing.
func (m *ignoreMatcher) ignored(rel string, isDir bool) bool {
	if m == nil {
		return false
	}
	parts := strings.Split(rel, "/")
	result := false
	for _, r := range m.rules {
		if r.dirOnly && !isDir {
			continue
		}
		if matchSegs(r.segs, parts) {
			result = !r.negate
		}
	}
	return result
}

func matchSegs(pat, parts []string) bool {
	if len(pat) == 0 {
		return len(parts) == 0
	}
	if pat[0] == "**" {
		if len(pat) == 1 {
			// A trailing "/**" matches everything inside, not the directory.
			return len(parts) > 0
		}
		for i := 0; i <= len(parts); i++ {
			if matchSegs(pat[1:], parts[i:]) {
				return true
			}
		}
		return false
	}
	if len(parts) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], parts[0])
	return ok && matchSegs(pat[1:], parts[1:])
}

package images

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// ErrRewrite is returned when an image field cannot be replaced in place (a scalar spelled over
// several lines or with escapes): the output is never re-serialised, so such a field is refused
// rather than guessed at.
var ErrRewrite = errors.New("cannot rewrite image field in place")

// FindInStream returns the image references of every document of a YAML stream, in stream order.
func FindInStream(stream []byte) ([]Found, error) {
	dec := yaml.NewDecoder(bytes.NewReader(stream))
	var out []Found
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading rendered manifests: %w", err)
		}
		out = append(out, FindInObject(&doc)...)
	}
}

// Replacement is a new value for a found image field.
type Replacement struct {
	Found
	New string
}

// Rewrite returns stream with each replacement's scalar replaced by its new value, byte for byte
// in place: every other byte (keys, order, comments, quoting of other fields) is kept. The nodes
// must come from FindInStream(stream).
func Rewrite(stream []byte, reps []Replacement) ([]byte, error) {
	if len(reps) == 0 {
		return stream, nil
	}
	lines := lineStarts(stream)
	type splice struct {
		start, end int
		text       string
	}
	splices := make([]splice, 0, len(reps))
	for _, r := range reps {
		start, end, err := tokenSpan(stream, lines, r.Node)
		if err != nil {
			return nil, fmt.Errorf("%w: %s %s: %v", ErrRewrite, describe(r.Source), r.Source.Field, err)
		}
		splices = append(splices, splice{start, end, quoteLike(r.Node, r.New)})
	}
	slices.SortFunc(splices, func(a, b splice) int { return a.start - b.start })
	var out bytes.Buffer
	out.Grow(len(stream) + 64*len(splices))
	last := 0
	for _, s := range splices {
		if s.start < last {
			return nil, fmt.Errorf("%w: overlapping fields", ErrRewrite)
		}
		out.Write(stream[last:s.start])
		out.WriteString(s.text)
		last = s.end
	}
	out.Write(stream[last:])
	return out.Bytes(), nil
}

// tokenSpan returns the byte range of the scalar token n in stream, after checking that the bytes
// there spell exactly n's value (plain, or single or double quoted without escapes).
func tokenSpan(stream []byte, lines []int, n *yaml.Node) (int, int, error) {
	if n.Line < 1 || n.Line > len(lines) {
		return 0, 0, fmt.Errorf("line %d out of range", n.Line)
	}
	start := lines[n.Line-1]
	for c := 1; c < n.Column; c++ { // Column counts characters, not bytes
		if start >= len(stream) || stream[start] == '\n' {
			return 0, 0, fmt.Errorf("column %d out of range on line %d", n.Column, n.Line)
		}
		_, size := utf8.DecodeRune(stream[start:])
		start += size
	}
	want := quoteLike(n, n.Value)
	if !bytes.HasPrefix(stream[start:], []byte(want)) {
		return 0, 0, fmt.Errorf("line %d: the value is not written on one line as a simple scalar", n.Line)
	}
	return start, start + len(want), nil
}

// quoteLike spells v in n's scalar style.
func quoteLike(n *yaml.Node, v string) string {
	switch {
	case n.Style&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return `"` + v + `"`
	}
	return v
}

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func describe(s Source) string {
	name := s.Name
	if s.Namespace != "" {
		name = s.Namespace + "/" + name
	}
	return s.Kind + " " + name
}

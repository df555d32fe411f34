package config

import (
	"fmt"
	"regexp/syntax"
	"strings"
)

// CheckAnchored refuses a certificate identity regular expression that can match inside a longer
// string: Go's regexp matches anywhere, so "@example\.com" accepts "mallory@example.com.evil". The
// error shows the anchored form to write instead. name is how the caller's user knows the field
// (a config key or a flag). An empty expression is accepted (the field is unset).
//
// Refusing rather than anchoring silently keeps the file meaning what it says: the same expression
// means the same thing here, in cosign and in any other tool that reads it.
func CheckAnchored(name, expr string) error {
	if expr == "" {
		return nil
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if beginsAnchored(re) && endsAnchored(re) {
		return nil
	}
	return fmt.Errorf("%w: %s %q can match inside a longer name; anchor it as %q", ErrUnanchoredRegExp, name, expr, anchoredForm(expr))
}

// beginsAnchored reports whether every match of re starts at the beginning of the text (^ or \A; a
// (?m) line start is not enough).
func beginsAnchored(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginText:
		return true
	case syntax.OpConcat:
		return len(re.Sub) > 0 && beginsAnchored(re.Sub[0])
	case syntax.OpCapture:
		return beginsAnchored(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !beginsAnchored(s) {
				return false
			}
		}
		return true
	}
	return false
}

// endsAnchored reports whether every match of re ends at the end of the text ($ or \z).
func endsAnchored(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEndText:
		return true
	case syntax.OpConcat:
		return len(re.Sub) > 0 && endsAnchored(re.Sub[len(re.Sub)-1])
	case syntax.OpCapture:
		return endsAnchored(re.Sub[0])
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if !endsAnchored(s) {
				return false
			}
		}
		return true
	}
	return false
}

// anchoredForm suggests ^expr$, grouping an alternation (so the anchors cover every branch) or flags
// (so a (?m) does not turn $ into a line end).
func anchoredForm(expr string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(expr, "^"), "$")
	if strings.HasSuffix(expr, `\$`) {
		inner = strings.TrimPrefix(expr, "^")
	}
	if strings.Contains(inner, "|") || strings.Contains(inner, "(?") { // an alternation, or flags like (?m)
		inner = "(?:" + inner + ")"
	}
	return "^" + inner + "$"
}

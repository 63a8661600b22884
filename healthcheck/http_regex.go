package healthcheck

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
)

// MaxRegexBody is how much of a body a url's regex sees: the first MiB. keepalived streams
// the whole body through PCRE; halvs keeps what it matches in memory, so it bounds it.
const MaxRegexBody = 1 << 20

// CompileRegex compiles a url regex as halvs matches it: Go's RE2 syntax on the raw body
// bytes. The error names what RE2 lacks when the pattern uses a PCRE-only construct.
func CompileRegex(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		var e *syntax.Error
		if errors.As(err, &e) && pcreOnly(e.Code) {
			return nil, fmt.Errorf("%w (RE2 has no lookahead, lookbehind, backreferences, atomic groups or possessive quantifiers)", err)
		}
		return nil, err
	}
	return re, nil
}

// bodyRegex is a url's regex, regex_no_match and offsets, compiled.
type bodyRegex struct {
	re      *regexp.Regexp
	noMatch bool
	min     int // the match starts at or after this body offset
	limit   int // and before this one; 0: anywhere
}

func newBodyRegex(u URL) (*bodyRegex, error) {
	if u.Regex == "" {
		return nil, nil
	}
	re, err := CompileRegex(u.Regex)
	if err != nil {
		return nil, err
	}
	return &bodyRegex{re: re, noMatch: u.RegexNoMatch, min: u.RegexMinOffset, limit: u.RegexOffsetLimit}, nil
}

// check applies the regex to the body (its first MaxRegexBody bytes). The search starts at the
// minimum offset, so ^ and \b see that offset as the start of the text; an empty window never
// matches, as keepalived never runs PCRE on an empty body.
func (b *bodyRegex) check(body []byte) error {
	matched := false
	if b.min < len(body) {
		if loc := b.re.FindIndex(body[b.min:]); loc != nil {
			matched = b.limit == 0 || b.min+loc[0] < b.limit
		}
	}
	switch {
	case matched && b.noMatch:
		return fmt.Errorf("body matches regex %q (regex_no_match)", b.re)
	case !matched && !b.noMatch:
		return fmt.Errorf("body does not match regex %q%s", b.re, b.window())
	}
	return nil
}

func (b *bodyRegex) window() string {
	switch {
	case b.limit > 0:
		return fmt.Sprintf(" starting at bytes %d-%d", b.min, b.limit-1)
	case b.min > 0:
		return fmt.Sprintf(" starting at byte %d or later", b.min)
	}
	return ""
}

// pcreOnly reports the RE2 parse errors that a PCRE construct RE2 lacks produces: (?= (?! (?>
// (?R (invalid Perl syntax), (?<= (?<! (invalid named capture), \1 \K (invalid escape), a++
// (nested repetition).
func pcreOnly(c syntax.ErrorCode) bool {
	return c == syntax.ErrInvalidPerlOp || c == syntax.ErrInvalidNamedCapture || c == syntax.ErrInvalidEscape || c == syntax.ErrInvalidRepeatOp
}

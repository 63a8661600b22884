package config

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// regexFlags maps keepalived's regex_options (PCRE2 option names) to RE2 flags. The options
// that only tune PCRE's speed or captures, or that RE2 always has (utf), map to no flag.
var regexFlags = map[string]string{
	"caseless": "i", "multiline": "m", "dotall": "s", "ungreedy": "U",
	"utf": "", "no_auto_capture": "", "no_auto_possess": "", "no_start_optimize": "", "no_dotstar_anchor": "",
}

// RegexFlags returns the RE2 flag group ("(?is)") for regex_options, "" for none.
func RegexFlags(options []string) string {
	var f string
	for _, o := range options {
		if !strings.Contains(f, regexFlags[o]) {
			f += regexFlags[o]
		}
	}
	if f == "" {
		return ""
	}
	return "(?" + f + ")"
}

// regex reads a url's regex, regex_no_match, regex_min_offset, regex_max_offset and
// regex_options. The pattern is Go's RE2: it is compiled here so that a PCRE-only construct is
// reported at its line.
func (b *block) regex(u *URL) {
	if items, ok := b.strings("regex_options"); ok {
		for _, it := range items {
			if _, known := regexFlags[it.s]; !known {
				names := make([]string, 0, len(regexFlags))
				for n := range regexFlags {
					names = append(names, n)
				}
				slices.Sort(names)
				b.d.errorf(it.r, "regex_options %q has no RE2 equivalent; halvs takes %s%s", it.s, strings.Join(names, " "), suggestValue(it.s, names))
				continue
			}
			u.RegexOptions = append(u.RegexOptions, it.s)
		}
	}
	b.boolean("regex_no_match", &u.RegexNoMatch)
	b.integer("regex_min_offset", &u.RegexMinOffset, 0, 1<<31-1)
	var max int
	if b.integer("regex_max_offset", &max, 0, 1<<31-1) {
		u.RegexMaxOffset = &max
		if u.RegexMinOffset > max {
			b.errorf("regex_max_offset", "regex_max_offset %d is below regex_min_offset %d", max, u.RegexMinOffset)
		}
	}
	if !b.str("regex", &u.Regex) {
		for _, k := range []string{"regex_no_match", "regex_min_offset", "regex_max_offset", "regex_options"} {
			if b.has(k) {
				b.errorf(k, "%s needs a regex in the same url", k)
			}
		}
		return
	}
	if u.Regex == "" {
		b.errorf("regex", "regex must not be empty")
		return
	}
	if _, err := regexp.Compile(RegexFlags(u.RegexOptions) + u.Regex); err != nil {
		var e *syntax.Error
		hint := ""
		if errors.As(err, &e) && pcreOnly(e.Code) {
			hint = "; halvs uses Go's RE2, which has no lookahead, lookbehind, backreferences, atomic groups or possessive quantifiers (docs/config.md)"
		}
		b.errorf("regex", "regex: %v%s", err, hint)
	}
}

// pcreOnly reports the RE2 parse errors a PCRE-only construct produces (healthcheck's rule).
func pcreOnly(c syntax.ErrorCode) bool {
	return c == syntax.ErrInvalidPerlOp || c == syntax.ErrInvalidNamedCapture || c == syntax.ErrInvalidEscape || c == syntax.ErrInvalidRepeatOp
}

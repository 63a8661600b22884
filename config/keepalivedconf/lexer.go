package keepalivedconf

import (
	"fmt"
	"strings"
)

// whiteSpace is keepalived's WHITE_SPACE_STR.
const whiteSpace = " \t\f\n\r\v"

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// decomment removes a comment ('#' or '!' outside double quotes), the backslash that escapes
// a comment character, and leading and trailing blanks, as keepalived's decomment() does. A
// trailing '\' (a continued definition) is kept, with the blanks before it removed.
// unterminated reports an odd number of double quotes.
func decomment(s string) (out string, unterminated bool) {
	s = strings.TrimLeft(s, " \t")
	var b strings.Builder
	quote, cont := false, false
	i := 0
loop:
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			quote = !quote
		case c == '\\':
			if i+1 == len(s) {
				cont = true
				break loop
			}
			if !quote && (s[i+1] == '#' || s[i+1] == '!') {
				b.WriteByte(s[i+1])
			} else {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i += 2
			continue
		case !quote && (c == '#' || c == '!'):
			break loop
		}
		b.WriteByte(c)
		i++
	}
	out = strings.TrimRight(b.String(), " \t")
	if cont {
		out += `\`
	}
	return out, quote
}

// commentOf returns the comment of a raw line, '#' or '!' outside double quotes and not
// escaped, without its marker and the blanks around it; ok is false when there is none or
// it is empty.
func commentOf(s string) (text string, ok bool) {
	quote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quote = !quote
		case c == '\\':
			i++
		case !quote && (c == '#' || c == '!'):
			text = strings.TrimSpace(strings.TrimLeft(s[i:], "#!"))
			return text, text != ""
		}
	}
	return "", false
}

// words splits a line as keepalived's alloc_strvec does: words end at white space, a word
// that starts with a double quote runs to the next double quote (without the quotes, no
// escapes), and a double quote inside a word ends it.
func words(s string) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, whiteSpace)
		if s == "" {
			return out, nil
		}
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return out, fmt.Errorf("unmatched quote in %q", s)
			}
			out = append(out, s[1:1+end])
			s = s[end+2:]
			continue
		}
		end := strings.IndexAny(s, whiteSpace+`"`)
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}

package script

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// blanks is keepalived's WHITE_SPACE_STR.
const blanks = " \t\f\n\r\v"

var errMissingEscape = errors.New(`'\' at the end of the line escapes nothing`)

// Split splits s into words the way keepalived reads script command lines
// (alloc_strvec_quoted_escaped): words end at white space, "..." and '...' group text
// containing spaces and are removed, and with escapes set a backslash escape (\n, \t, \x41,
// \101, \cC, \" ...) gives its character. Without escapes the backslash and the character
// after it are kept as they are, which is how keepalived first isolates a script string.
func Split(s string, escapes bool) ([]string, error) {
	var out []string
	for {
		s = strings.TrimLeft(s, blanks)
		if s == "" {
			return out, nil
		}
		var w []byte
		var quote byte
		for s != "" {
			stop := blanks + `'"\`
			if quote != 0 {
				stop = string(quote) + `\`
			}
			i := strings.IndexAny(s, stop)
			if i < 0 {
				if quote != 0 {
					return nil, fmt.Errorf("unterminated %c quote", quote)
				}
				w = append(w, s...)
				s = ""
				break
			}
			w = append(w, s[:i]...)
			s = s[i:]
			switch c := s[0]; {
			case c == '\\':
				if len(s) == 1 {
					return nil, errMissingEscape
				}
				if !escapes {
					w = append(w, s[0], s[1])
					s = s[2:]
					continue
				}
				var ch byte
				ch, s = unescape(s[1:])
				w = append(w, ch)
			case quote != 0: // the closing quote
				quote = 0
				s = s[1:]
			case c == '"' || c == '\'':
				quote = c
				s = s[1:]
			default: // white space ends the word
				goto done
			}
		}
	done:
		out = append(out, string(w))
	}
}

// unescape decodes one escape; s starts after the backslash.
func unescape(s string) (byte, string) {
	isHex := func(c byte) bool {
		return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
	}
	switch {
	case s[0] == 'x' && len(s) > 1 && isHex(s[1]):
		n := 1
		if len(s) > 2 && isHex(s[2]) {
			n = 2
		}
		v, _ := strconv.ParseUint(s[1:1+n], 16, 8)
		return byte(v), s[1+n:]
	case s[0] == 'c' && len(s) > 1:
		return s[1] & 0x1f, s[2:]
	case '0' <= s[0] && s[0] <= '7':
		var v byte
		n := 0
		for n < 3 && n < len(s) && '0' <= s[n] && s[n] <= '7' {
			v = v<<3 + s[n] - '0'
			n++
		}
		return v, s[n:]
	}
	c := s[0]
	switch c {
	case 'a':
		c = '\a'
	case 'b':
		c = '\b'
	case 'E':
		c = 0x1b
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'v':
		c = '\v'
	}
	return c, s[1:]
}

// quoteArg renders one argument so that Split(…, true) reads it back unchanged.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, blanks+`'"\`) {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

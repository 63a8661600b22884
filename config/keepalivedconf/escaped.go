package keepalivedconf

import (
	"errors"
	"strings"
)

// splitQuotedEscaped splits a line as keepalived's alloc_strvec_quoted_escaped does (it reads
// the regex keyword so): words are separated by blanks outside quotes, single and double quotes
// group and are dropped, and a backslash escapes everywhere: \xHH… (hex, low 8 bits kept),
// \cX (control character), \0 to \777 (octal, up to three digits), \a \b \E \f \n \r \t \v,
// and any other character stands for itself (so "\d" is "d": a regex needs "\\d").
func splitQuotedEscaped(line string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return words, nil
		}
		var w strings.Builder
		var quote byte
		for i < len(line) {
			c := line[i]
			switch {
			case c == '\\':
				i++
				if i >= len(line) {
					return nil, errors.New("a backslash ends the line")
				}
				var b byte
				b, i = unescape(line, i)
				w.WriteByte(b)
				continue
			case quote != 0 && c == quote:
				quote = 0
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote == 0 && (c == ' ' || c == '\t'):
				goto word
			default:
				w.WriteByte(c)
			}
			i++
		}
		if quote != 0 {
			return nil, errors.New("missing terminating " + string(quote))
		}
	word:
		words = append(words, w.String())
	}
}

// unescape reads the escape starting at line[i] (after the backslash) and returns its byte and
// the index after it.
func unescape(line string, i int) (byte, int) {
	c := line[i]
	switch {
	case c == 'x' && i+1 < len(line) && isHex(line[i+1]):
		var b byte
		for i++; i < len(line) && isHex(line[i]); i++ {
			b = b<<4 | hexVal(line[i])
		}
		return b, i
	case c == 'c' && i+1 < len(line):
		return line[i+1] & 0x1f, i + 2
	case c >= '0' && c <= '7':
		b := c - '0'
		i++
		for n := 0; n < 2 && i < len(line) && line[i] >= '0' && line[i] <= '7'; n++ {
			b = b<<3 + line[i] - '0'
			i++
		}
		return b, i
	}
	if e, ok := map[byte]byte{'a': '\a', 'b': '\b', 'E': 0x1b, 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}[c]; ok {
		return e, i + 1
	}
	return c, i + 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

package config

// The pre-scan's template modes: quoted strings and heredocs, with their ${ and %{
// interpolations, as hclsyntax's lexer reads them (see prescan.go).

import (
	"bytes"
)

// heredocIntro recognises "<<EOT\n" or "<<-EOT\n" at src[i]: the marker and where the
// heredoc's first line begins.
func heredocIntro(src []byte, i int) (marker []byte, next int, ok bool) {
	j := i + 2
	if j < len(src) && src[j] == '-' {
		j++
	}
	k := j
	for k < len(src) && isIdentByte(src[k]) {
		k++
	}
	if k == j || src[j] == '-' || src[j] >= '0' && src[j] <= '9' {
		return nil, 0, false
	}
	end := k
	if k < len(src) && src[k] == '\r' {
		k++
	}
	if k >= len(src) || src[k] != '\n' {
		return nil, 0, false
	}
	return src[j:end], k + 1, true
}

// template scans ${, %{ and their escapes inside a template at src[i] ('$' or '%'); it
// returns the next offset and whether an interpolation was opened.
func (s *scanner) template(i int) (int, bool) {
	c := s.src[i]
	if i+1 < len(s.src) && s.src[i+1] == '{' {
		s.res.tokens++
		s.push(i, frame{kind: frameInterp})
		return i + 2, true
	}
	if i+2 < len(s.src) && s.src[i+1] == c && s.src[i+2] == '{' {
		return i + 3, false // $${ or %%{: a literal
	}
	return i + 1, false
}

// quoted scans a quoted template from src[i] to its end, an interpolation or the input's end.
func (s *scanner) quoted(i int) int {
	for i < len(s.src) {
		switch c := s.src[i]; c {
		case '"':
			s.res.tokens++
			s.stack = s.stack[:len(s.stack)-1]
			return i + 1
		case '\\':
			if i+1 < len(s.src) && s.src[i+1] != '\n' && s.src[i+1] != '\r' {
				i += 2
				continue
			}
			i++
		case '\n':
			// hclsyntax stays in the string (and reports it); so does the scan.
			s.res.tokens++
			s.line++
			s.lineStart = i + 1
			i++
		case '$', '%':
			next, opened := s.template(i)
			if opened || s.res.fatal {
				return next
			}
			i = next
		default:
			i++
		}
	}
	return i
}

// heredoc scans a heredoc's lines from src[i] to its marker line, an interpolation or the
// input's end. A line is the marker only when it holds nothing else but blanks, and was
// not begun by an interpolation's end.
func (s *scanner) heredoc(i int, marker []byte) int {
	startOfLine := i == s.lineStart
	for i < len(s.src) {
		nl := bytes.IndexByte(s.src[i:], '\n')
		end := len(s.src)
		if nl >= 0 {
			end = i + nl
		}
		if startOfLine && nl >= 0 && bytes.Equal(bytes.TrimSpace(s.src[i:end]), marker) {
			s.res.tokens += 2
			s.stack = s.stack[:len(s.stack)-1]
			return end // the newline is code's
		}
		for j := i; j < end; j++ {
			if c := s.src[j]; c == '$' || c == '%' {
				next, opened := s.template(j)
				if opened || s.res.fatal {
					return next
				}
				j = next - 1
			}
		}
		s.res.tokens++
		if nl < 0 {
			return len(s.src)
		}
		s.line++
		s.lineStart = end + 1
		i, startOfLine = end+1, true
	}
	return i
}

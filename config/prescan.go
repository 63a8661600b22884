package config

// The pre-scan: one pass over the bytes before hclsyntax sees them, with constant memory
// apart from a stack bounded by the nesting limit. hclsyntax's parser recurses once per
// open bracket, brace, parenthesis, string and template interpolation, and a Go stack
// overflow is fatal (no recover), so the depth is checked here; its lexer keeps about 350
// bytes per token, so the tokens any one parse sees are bounded here too.
//
// The scan follows hclsyntax's lexer modes (scan_tokens.rl): code, a quoted template
// ("...", with \ escapes, ${ and %{ opening code, $${ and %%{ literal), a heredoc
// (<<EOT or <<-EOT to a line that is EOT once trimmed), and comments (#, //, /* */), so
// that a brace inside a string or a comment is not counted. Where the input is invalid
// anyway the scan may count more than the parser would, never less.

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// bound is a place between top-level items, with the tokens counted before it.
type bound struct {
	pos    hcl.Pos
	tokens int
}

type frameKind uint8

const (
	frameBracket frameKind = iota // [
	frameParen                    // (
	frameBrace                    // { in code: a block or an object
	frameInterp                   // ${ or %{: code until the matching }
	frameQuote                    // "...": a template
	frameHeredoc                  // <<EOT: a template to the marker line
)

type frame struct {
	kind   frameKind
	marker []byte // frameHeredoc: the closing marker
}

// scanResult is what the pre-scan found.
type scanResult struct {
	diags Diagnostics
	// fatal: the input must not reach hclsyntax (too deep, bad UTF-8, a top-level item
	// too big, or more invalid characters than are reported).
	fatal bool
	// tokens is the number of tokens, counted generously.
	tokens int
	// omitted counts the findings left out of diags (beyond Limits.MaxErrors).
	omitted int
	// bounds are where a line begins at the top level, in code, outside any bracket,
	// string, heredoc or comment: places where one top-level item ends and the next may
	// begin. Only the first after every chunk tokens is kept.
	bounds []bound
}

// prescan scans src as described in the file comment, under lim, keeping a boundary at
// most every chunkTokens tokens.
func prescan(src []byte, filename string, lim Limits) scanResult {
	return prescanChunks(src, filename, lim, chunkTokens)
}

// prescanChunks keeps the first boundary after every chunk tokens (tests keep all with 1).
func prescanChunks(src []byte, filename string, lim Limits, chunk int) scanResult {
	s := scanner{src: src, filename: filename, lim: lim, chunk: chunk, line: 1, lineStart: 0, itemPos: hcl.InitialPos}
	s.run()
	return s.res
}

type scanner struct {
	src       []byte
	filename  string
	lim       Limits
	res       scanResult
	stack     []frame
	leaked    int // frames popped by a mismatched closer; still counted as depth
	line      int
	lineStart int     // byte offset of the current line's first byte
	itemStart int     // token count at the last boundary
	itemPos   hcl.Pos // and its place
	chunk     int     // tokens between two kept boundaries, at least
	invalid   int     // invalid characters in code
	pending   Diagnostics
}

func (s *scanner) pos(i int) hcl.Pos {
	return hcl.Pos{Line: s.line, Column: utf8.RuneCount(s.src[s.lineStart:i]) + 1, Byte: i}
}

func (s *scanner) at(i int) hcl.Range {
	p := s.pos(i)
	end := p
	end.Column++
	end.Byte++
	return hcl.Range{Filename: s.filename, Start: p, End: end}
}

func (s *scanner) fail(i int, format string, args ...any) {
	s.res.diags = append(s.res.diags, Diagnostic{Severity: SeverityError, Message: fmt.Sprintf(format, args...), Range: s.at(i)})
	s.res.fatal = true
}

func (s *scanner) newline(next int) {
	s.line++
	s.lineStart = next
	if len(s.stack) == 0 && s.leaked == 0 {
		if s.res.tokens-s.itemStart > s.lim.maxItemTokens() {
			s.tooManyTokens(next)
		}
		s.itemStart = s.res.tokens
		s.itemPos = hcl.Pos{Line: s.line, Column: 1, Byte: next}
		last := 0
		if n := len(s.res.bounds); n > 0 {
			last = s.res.bounds[n-1].tokens
		}
		if s.res.tokens-last >= s.chunk {
			s.res.bounds = append(s.res.bounds, bound{s.itemPos, s.res.tokens})
		}
	}
}

func (s *scanner) tooManyTokens(i int) {
	if s.res.fatal {
		return
	}
	start := s.itemPos
	s.res.diags = append(s.res.diags, Diagnostic{Severity: SeverityError,
		Message: fmt.Sprintf("this top-level item holds more than %d tokens, the most one item may hold; split it or check that the file is a halvs configuration", s.lim.maxItemTokens()),
		Range:   hcl.Range{Filename: s.filename, Start: start, End: start}})
	s.res.fatal = true
}

// push opens a frame at src[i], refusing the input when it nests too deep.
func (s *scanner) push(i int, f frame) bool {
	if len(s.stack)+s.leaked >= s.lim.maxDepth() {
		s.fail(i, "nesting deeper than %d levels of brackets, braces, parentheses, strings and interpolations; a halvs configuration needs a handful", s.lim.maxDepth())
		return false
	}
	s.stack = append(s.stack, f)
	return true
}

func (s *scanner) top() (frame, bool) {
	if len(s.stack) == 0 {
		return frame{}, false
	}
	return s.stack[len(s.stack)-1], true
}

func (s *scanner) run() {
	if !utf8.Valid(s.src) {
		s.badUTF8()
		return
	}
	i := 0
	if bytes.HasPrefix(s.src, []byte("\ufeff")) {
		i = 3
		s.lineStart = 3 // hclsyntax drops the BOM before counting columns
	}
	for i < len(s.src) && !s.res.fatal {
		f, ok := s.top()
		switch {
		case ok && f.kind == frameQuote:
			i = s.quoted(i)
		case ok && f.kind == frameHeredoc:
			i = s.heredoc(i, f.marker)
		default:
			i = s.code(i)
		}
	}
	if !s.res.fatal && s.res.tokens-s.itemStart > s.lim.maxItemTokens() {
		s.tooManyTokens(len(s.src))
	}
	if !s.res.fatal && s.invalid > s.lim.maxErrors() {
		// A file this full of characters HCL does not use is not a configuration; hclsyntax
		// would spend hundreds of bytes on each. Fewer are left for hclsyntax to report.
		s.res.diags = append(s.res.diags, s.pending...)
		s.res.omitted = s.invalid - len(s.pending)
		s.res.fatal = true
	}
}

// badUTF8 reports each invalid UTF-8 sequence (Parse caps the list).
func (s *scanner) badUTF8() {
	s.res.fatal = true
	for i := 0; i < len(s.src); {
		r, n := utf8.DecodeRune(s.src[i:])
		if r == utf8.RuneError && n == 1 {
			if len(s.res.diags) < s.lim.maxErrors() {
				s.res.diags = append(s.res.diags, Diagnostic{Severity: SeverityError,
					Message: fmt.Sprintf("invalid UTF-8 (byte 0x%02x); a configuration must be UTF-8 text", s.src[i]), Range: s.at(i)})
			} else {
				s.res.omitted++
			}
		}
		if s.src[i] == '\n' {
			s.line++
			s.lineStart = i + 1
		}
		i += n
	}
}

// code scans one token (or a run of blanks) in code and returns where the next begins.
func (s *scanner) code(i int) int {
	c := s.src[i]
	switch {
	case c == ' ' || c == '\t':
		return i + 1
	case c == '\n':
		s.res.tokens++
		s.newline(i + 1)
		return i + 1
	case c == '\r' && i+1 < len(s.src) && s.src[i+1] == '\n':
		return i + 1
	case c == '#' || c == '/' && i+1 < len(s.src) && s.src[i+1] == '/':
		s.res.tokens++
		j := bytes.IndexByte(s.src[i:], '\n')
		if j < 0 {
			return len(s.src)
		}
		s.newline(i + j + 1)
		return i + j + 1
	case c == '/' && i+1 < len(s.src) && s.src[i+1] == '*':
		s.res.tokens++
		j := bytes.Index(s.src[i+2:], []byte("*/"))
		end := len(s.src)
		if j >= 0 {
			end = i + 2 + j + 2
		}
		for k := i; k < end; k++ {
			if s.src[k] == '\n' {
				s.line++
				s.lineStart = k + 1
			}
		}
		return end
	case c == '"':
		s.res.tokens++
		s.push(i, frame{kind: frameQuote})
		return i + 1
	case c == '<' && i+1 < len(s.src) && s.src[i+1] == '<':
		if marker, next, ok := heredocIntro(s.src, i); ok {
			s.res.tokens++
			if s.push(i, frame{kind: frameHeredoc, marker: marker}) {
				s.line++
				s.lineStart = next
			}
			return next
		}
		s.res.tokens += 2
		return i + 2
	case c == '[' || c == '(' || c == '{':
		s.res.tokens++
		kind := frameBrace
		if c == '[' {
			kind = frameBracket
		} else if c == '(' {
			kind = frameParen
		}
		s.push(i, frame{kind: kind})
		return i + 1
	case c == ']' || c == ')':
		s.res.tokens++
		want := frameBracket
		if c == ')' {
			want = frameParen
		}
		if f, ok := s.top(); ok && f.kind == want {
			s.stack = s.stack[:len(s.stack)-1]
		}
		return i + 1
	case c == '}' || c == '~' && i+1 < len(s.src) && s.src[i+1] == '}':
		s.res.tokens++
		s.closeBrace()
		if c == '~' {
			return i + 2
		}
		return i + 1
	case c >= '0' && c <= '9':
		s.res.tokens++ // "1.5" counts as three tokens: more than hclsyntax's one, never fewer
		j := i
		for j < len(s.src) && s.src[j] >= '0' && s.src[j] <= '9' {
			j++
		}
		return j
	case isIdentByte(c) && c != '-':
		s.res.tokens++
		j := i
		for j < len(s.src) && isIdentByte(s.src[j]) {
			j++
		}
		return j
	case bytes.IndexByte([]byte("].,*/%+-=<>!?:&|~^;`'"), c) >= 0:
		s.res.tokens++
		return i + 1
	}
	// '@', '$', '\', a control character, a lone CR: hclsyntax's "Invalid character".
	s.res.tokens++
	s.invalid++
	if len(s.pending) < s.lim.maxErrors() {
		s.pending = append(s.pending, Diagnostic{Severity: SeverityError,
			Message: "Invalid character: This character is not used within the language.", Range: s.at(i)})
	}
	return i + 1
}

// closeBrace is hclsyntax's rule: a } closes the innermost { or ${; brackets still open
// inside it are left unclosed (the input is invalid), and stay counted.
func (s *scanner) closeBrace() {
	for k := len(s.stack) - 1; k >= 0; k-- {
		switch s.stack[k].kind {
		case frameBrace, frameInterp:
			s.leaked += len(s.stack) - 1 - k
			s.stack = s.stack[:k]
			return
		case frameQuote, frameHeredoc:
			return
		}
	}
}

// isIdentByte: a byte that may continue an identifier (any non-ASCII byte counts: an
// identifier's Unicode letters, or an invalid character hclsyntax reports itself).
func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c >= utf8.RuneSelf
}

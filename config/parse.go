package config

// The HCL parse, one top-level block at a time. hclsyntax lexes a whole file into one slice
// of tokens before parsing it; for a table of 1,000 virtual servers that slice grows to
// 150,000 tokens (14 MB, copied at each growth), which under emulation costs a tenth of the
// parse. Parsing each top-level block on its own keeps every slice small and lets the
// garbage collector reuse one block's memory for the next.
//
// Why the result is the one hclsyntax gives for the whole file: a chunk starts where a line
// begins with an identifier and the last non-blank line before it is exactly "}". When that
// point is the boundary of two top-level items (the lexer in its normal state, no bracket,
// block, heredoc, comment or string open), lexing and parsing the two sides apart yields the
// same tokens at the same positions and so the same items: an item's parse depends only on
// its own tokens, and the chunk is given its starting line and byte. When it is not a
// boundary, the chunk before it ends inside whatever construct is open, and hclsyntax
// reports an error for every construct left open at the end of its input (parse_test.go
// checks each kind). Any diagnostic in any chunk, or an attribute at the top level (a
// duplicate across chunks would go unnoticed), sends the whole file through hclsyntax in
// one piece, so errors keep their exact messages and positions.

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// parseBody is the body hclsyntax.ParseConfig(src, filename, hcl.InitialPos) returns, with
// its diagnostics; when they hold an error, the body may be nil or partial.
func parseBody(src []byte, filename string) (*hclsyntax.Body, hcl.Diagnostics) {
	if body := parseBlocks(src, filename); body != nil {
		return body, nil
	}
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	body, _ := f.Body.(*hclsyntax.Body)
	return body, diags
}

// parseBlocks parses src in chunks (see the file comment) and returns the merged top-level
// body, or nil when the file has to be parsed in one piece: a chunk had a diagnostic or a
// top-level attribute, or there is nowhere to split.
func parseBlocks(src []byte, filename string) *hclsyntax.Body {
	var bodies []*hclsyntax.Body
	start := hcl.InitialPos // where the current chunk begins
	line := 1               // the line that begins at byte i
	closed := false         // the last non-blank line was exactly "}"
	parse := func(end int) bool {
		f, diags := hclsyntax.ParseConfig(src[start.Byte:end], filename, start)
		b, ok := f.Body.(*hclsyntax.Body)
		if len(diags) > 0 || !ok || len(b.Attributes) > 0 {
			return false
		}
		bodies = append(bodies, b)
		return true
	}
	for i := 0; i < len(src); line++ {
		n := bytes.IndexByte(src[i:], '\n')
		if n < 0 {
			break
		}
		if n > 0 {
			if closed && identStart(src[i]) {
				if !parse(i) {
					return nil
				}
				start = hcl.Pos{Line: line, Column: 1, Byte: i}
			}
			closed = n == 1 && src[i] == '}'
		}
		i += n + 1
	}
	if len(bodies) == 0 || !parse(len(src)) {
		return nil
	}
	first, last := bodies[0], bodies[len(bodies)-1]
	merged := &hclsyntax.Body{
		Attributes: hclsyntax.Attributes{},
		SrcRange:   hcl.RangeBetween(first.SrcRange, last.SrcRange),
		EndRange:   last.EndRange,
	}
	n := 0
	for _, b := range bodies {
		n += len(b.Blocks)
	}
	merged.Blocks = make(hclsyntax.Blocks, 0, n)
	for _, b := range bodies {
		merged.Blocks = append(merged.Blocks, b.Blocks...)
	}
	return merged
}

// identStart reports whether c can begin an HCL identifier, in ASCII; a line that begins
// otherwise is simply not a split point.
func identStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

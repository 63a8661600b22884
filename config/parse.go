package config

// The HCL parse, in chunks of whole top-level items. hclsyntax lexes its whole input into
// one slice of tokens (about 350 bytes each) before parsing it; for a table of 1,000
// virtual servers that is 150,000 tokens, and for a 16 MB file of punctuation gigabytes.
// Parsing a few hundred tokens' worth of top-level items at a time keeps every slice small
// and lets the garbage collector reuse one chunk's memory for the next.
//
// Why the result is the one hclsyntax gives for the whole file: the pre-scan (prescan.go)
// cuts only where a line begins at the top level, in code, with no bracket, string,
// heredoc or comment open, where hclsyntax's lexer is in its initial state and its parser
// between two body items; each chunk is given its starting line and byte, so its items
// come out the same, positions included. When a chunk has a diagnostic, or an attribute
// at the top level (a duplicate across chunks would go unnoticed), a file of modest size
// is parsed again in one piece, so errors keep hclsyntax's exact messages and positions.
// A larger one keeps the chunks' diagnostics, and stops once there are enough to report.

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// chunkTokens is the size a chunk grows to before it is cut at the next boundary.
const chunkTokens = 512

// parseBody is the body hclsyntax.ParseConfig(src, filename, hcl.InitialPos) returns, with
// its diagnostics, or, for a file of more than lim's item tokens with errors, the
// diagnostics of its chunks up to lim's error count (then stopped says where the parse
// stopped). When the diagnostics hold an error, the body may be nil or partial.
func parseBody(src []byte, filename string, scan scanResult, lim Limits) (body *hclsyntax.Body, diags hcl.Diagnostics, stopped *hcl.Pos) {
	body, diags, stopped, whole := parseChunks(src, filename, scan, lim)
	if !whole {
		return body, diags, stopped
	}
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	body, _ = f.Body.(*hclsyntax.Body)
	return body, diags, nil
}

// parseChunks parses src in chunks cut at the scan's boundaries. whole asks for the file
// to be parsed in one piece instead (it is small enough and a chunk had a diagnostic or a
// top-level attribute).
func parseChunks(src []byte, filename string, scan scanResult, lim Limits) (body *hclsyntax.Body, diags hcl.Diagnostics, stopped *hcl.Pos, whole bool) {
	small := scan.tokens <= lim.maxItemTokens()
	var bodies []*hclsyntax.Body
	errs := 0
	start := bound{pos: hcl.InitialPos}
	cuts := append(scan.bounds, bound{pos: hcl.Pos{Byte: len(src)}, tokens: scan.tokens})
	chunks := newChunkParser(filename, len(src)) // load_cache.go
	defer chunks.keep()
	for k, b := range cuts {
		fb, ds := chunks.parse(src[start.pos.Byte:b.pos.Byte], start.pos)
		cb, ok := fb.(*hclsyntax.Body)
		if small && (len(ds) > 0 || !ok || len(cb.Attributes) > 0) {
			return nil, nil, nil, true
		}
		diags = append(diags, ds...)
		if ok {
			bodies = append(bodies, cb)
		}
		if errs += len(ds.Errs()); errs >= lim.maxErrors() && k < len(cuts)-1 {
			at := b.pos
			stopped = &at
			break
		}
		start = b
	}
	if len(bodies) == 0 {
		return nil, diags, stopped, false
	}
	return merge(bodies, &diags), diags, stopped, false
}

// merge joins the chunks' bodies into the body of the whole file. A top-level attribute
// set twice is reported as hclsyntax reports it.
func merge(bodies []*hclsyntax.Body, diags *hcl.Diagnostics) *hclsyntax.Body {
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
		for name, a := range b.Attributes {
			if prev, dup := merged.Attributes[name]; dup {
				*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Attribute redefined",
					Detail:  fmt.Sprintf("The argument %q was already set at %s. Each argument may only be set once.", name, prev.NameRange),
					Subject: &a.NameRange})
				continue
			}
			merged.Attributes[name] = a
		}
	}
	return merged
}

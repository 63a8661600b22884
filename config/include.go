package config

// Includes: `include = ["conf.d/*.hcl"]` at the top level of a file loaded from disk reads
// the files each pattern matches (sorted, relative to the including file) and places their
// blocks where the include stands among the including file's blocks. An included file may
// include others. Every file is read under the same bounds as the main one (a regular file,
// Limits.MaxSize, the pre-scan's nesting and token bounds); all the files together hold at
// most 4 × MaxSize bytes and number at most MaxIncludeFiles, and the diagnostics of all of
// them are capped together. Diagnostics about an included file's content name that file;
// those about the include itself (no such file, a loop) name the include's line.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const (
	// MaxIncludeFiles bounds the files one configuration includes, at every depth together.
	MaxIncludeFiles = 1000
	// MaxIncludeDepth bounds how deep includes nest.
	MaxIncludeDepth = 16
	// totalSizeFactor: the files of a configuration hold at most this many times
	// Limits.MaxSize together (64 MiB at the default).
	totalSizeFactor = 4
)

// includer reads the files a configuration includes.
type includer struct {
	lim     Limits
	total   int64 // bytes read, the main file's too
	files   int
	diags   Diagnostics
	omitted int
	seen    map[string]hcl.Range // absolute path → the include that read it
	bodies  []*hclsyntax.Body    // the included files' bodies, for their top-level check
}

func newIncluder(lim Limits, mainSize int) *includer {
	return &includer{lim: lim, total: int64(mainSize), seen: map[string]hcl.Range{}}
}

func (in *includer) errorf(r hcl.Range, format string, args ...any) {
	in.diags = append(in.diags, Diagnostic{Severity: SeverityError, Message: fmt.Sprintf(format, args...), Range: r})
}

func (in *includer) full() bool {
	errs, _ := in.diags.Counts()
	return errs+in.omitted >= in.lim.maxErrors()
}

// blocks returns body's top-level blocks with, in place of its include attribute, the
// blocks of the files it names, recursively. stack holds the absolute paths of filename
// and of the files that included it, to refuse a loop.
func (in *includer) blocks(body *hclsyntax.Body, filename string, stack []string) hclsyntax.Blocks {
	attr := body.Attributes["include"]
	if attr == nil {
		return body.Blocks
	}
	patterns, ranges := in.patterns(attr)
	at := attr.SrcRange.Start.Byte
	out := make(hclsyntax.Blocks, 0, len(body.Blocks))
	rest := body.Blocks
	for len(rest) > 0 && rest[0].Range().Start.Byte < at {
		out, rest = append(out, rest[0]), rest[1:]
	}
	dir := filepath.Dir(filename)
	for i, p := range patterns {
		out = append(out, in.pattern(dir, p, ranges[i], stack)...)
	}
	return append(out, rest...)
}

// patterns reads the include attribute, a list of strings, with the range of each.
func (in *includer) patterns(attr *hclsyntax.Attribute) ([]string, []hcl.Range) {
	const form = `include takes a list of file names or patterns, e.g. include = ["conf.d/*.hcl"]`
	tuple, ok := attr.Expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		in.errorf(attr.Expr.Range(), "%s", form)
		return nil, nil
	}
	var out []string
	var ranges []hcl.Range
	for _, e := range tuple.Exprs {
		v, hds := e.Value(nil)
		if hds.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String || v.AsString() == "" {
			in.errorf(e.Range(), "%s", form)
			return nil, nil
		}
		out = append(out, v.AsString())
		ranges = append(ranges, e.Range())
	}
	return out, ranges
}

// pattern reads the files one include pattern names, relative to dir, in sorted order. A
// pattern without wildcards must name a file; one with wildcards may match none.
func (in *includer) pattern(dir, p string, at hcl.Range, stack []string) hclsyntax.Blocks {
	path := p
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if !strings.ContainsAny(p, `*?[\`) {
		return in.file(path, at, stack)
	}
	matches, err := filepath.Glob(path)
	if err != nil {
		in.errorf(at, "include %q: %v", p, err)
		return nil
	}
	slices.Sort(matches)
	var out hclsyntax.Blocks
	n := 0
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			continue // a directory a wildcard happens to match, as conf.d/* may
		}
		n++
		out = append(out, in.file(m, at, stack)...)
	}
	if n == 0 {
		in.diags = append(in.diags, Diagnostic{Severity: SeverityWarning, Range: at,
			Message: fmt.Sprintf("include %q matches no file", p)})
	}
	return out
}

// file reads one included file and returns its blocks, its own includes expanded.
func (in *includer) file(path string, at hcl.Range, stack []string) hclsyntax.Blocks {
	if in.full() {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		in.errorf(at, "include %s: %v", path, err)
		return nil
	}
	if i := slices.Index(stack, abs); i >= 0 {
		chain := append(slices.Clone(stack[i:]), abs)
		in.errorf(at, "include loop: %s", strings.Join(chain, " includes "))
		return nil
	}
	if first, dup := in.seen[abs]; dup {
		in.errorf(at, "%s is included twice (first by the include at %s); include each file once", path, short(first))
		return nil
	}
	in.seen[abs] = at
	if len(stack) > MaxIncludeDepth {
		in.errorf(at, "includes nest deeper than %d files at %s", MaxIncludeDepth, path)
		return nil
	}
	if in.files++; in.files > MaxIncludeFiles {
		in.errorf(at, "more than %d included files; %s and the rest are not read", MaxIncludeFiles, path)
		return nil
	}
	src, err := ReadRegularFile(path, in.lim.maxSize())
	if err != nil {
		in.errorf(at, "include %s: %v", path, err)
		return nil
	}
	if in.total += int64(len(src)); in.total > totalSizeFactor*in.lim.maxSize() {
		in.errorf(at, "include %s: %v: the files of the configuration hold more than %d bytes together (%d × --max-config-size)",
			path, ErrTooLarge, totalSizeFactor*in.lim.maxSize(), totalSizeFactor)
		return nil
	}
	body, diags, omitted := parseFile(src, path, in.lim)
	in.diags = append(in.diags, diags...)
	in.omitted += omitted
	if body == nil {
		return nil
	}
	in.bodies = append(in.bodies, body)
	return in.blocks(body, path, append(stack, abs))
}

// parseFile pre-scans and parses one file. On an error the body is nil; omitted counts
// the findings the pre-scan left out.
func parseFile(src []byte, filename string, lim Limits) (*hclsyntax.Body, Diagnostics, int) {
	if d, ok := keepalivedSyntax(src, filename); ok {
		return nil, Diagnostics{d}, 0
	}
	scan := prescan(src, filename, lim)
	if scan.fatal {
		return nil, scan.diags, scan.omitted
	}
	body, hds, stopped := parseBody(src, filename, scan, lim)
	diags := fromHCL(hds)
	if !hds.HasErrors() {
		return body, diags, 0
	}
	if stopped != nil {
		diags = append(diags, Diagnostic{Severity: SeverityError, Omitted: -1,
			Message: fmt.Sprintf("too many errors; the rest of the file, from line %d, was not checked", stopped.Line),
			Range:   hcl.Range{Filename: filename, Start: *stopped, End: *stopped}})
	}
	return nil, diags, 0
}

// loadDir reads dir/*.hcl, sorted, as a file holding only include = ["*.hcl"] would.
func loadDir(dir string, lim Limits) (*Config, Diagnostics) {
	in := newIncluder(lim, 0)
	at := hcl.Range{Filename: dir}
	var blocks hclsyntax.Blocks
	matches, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	slices.Sort(matches)
	for _, m := range matches {
		blocks = append(blocks, in.file(m, at, []string{})...)
	}
	if len(matches) == 0 {
		in.errorf(at, "cannot read config: the directory holds no *.hcl file")
	}
	root := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: at, EndRange: at}
	return decodeIncluded(root, blocks, in, dir)
}

// decodeIncluded decodes root with blocks as its top-level blocks, once the includes are
// read; see ParseWith.
func decodeIncluded(root *hclsyntax.Body, blocks hclsyntax.Blocks, in *includer, filename string) (*Config, Diagnostics) {
	if in.diags.HasErrors() || in.omitted > 0 {
		in.diags.sort()
		return nil, in.diags.capped(in.lim.maxErrors(), in.omitted, filename)
	}
	d := &decoder{diags: in.diags}
	// An included file's top-level settings count as the main file's (convert -o writes
	// them where the keepalived file had them); each may be set once in all the files.
	attrs := make(hclsyntax.Attributes, len(root.Attributes))
	for name, a := range root.Attributes {
		attrs[name] = a
	}
	for _, b := range in.bodies {
		for name, a := range b.Attributes {
			if name == "include" {
				continue
			}
			if first, dup := attrs[name]; dup {
				d.errorf(a.NameRange, "%s is set twice (first at %s); set it in one file", name, short(first.NameRange))
				continue
			}
			attrs[name] = a
		}
	}
	merged := &hclsyntax.Body{Attributes: attrs, Blocks: blocks, SrcRange: root.SrcRange, EndRange: root.EndRange}
	cfg := d.file(merged)
	validate(d, cfg)
	d.diags.sort()
	if d.diags.HasErrors() {
		return nil, d.diags.capped(in.lim.maxErrors(), 0, filename)
	}
	return cfg, d.diags.capped(in.lim.maxErrors(), 0, filename)
}

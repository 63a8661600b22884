package config

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/halvs/halvs/internal/script"
)

// decoder collects diagnostics while the blocks are decoded. It reads hclsyntax bodies
// directly rather than through hcl.BodySchema so that unknown keywords, duplicate blocks and
// wrong value types all get keepalived-flavoured messages at the exact position.
type decoder struct {
	diags Diagnostics
}

func (d *decoder) errorf(r hcl.Range, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{Severity: SeverityError, Message: fmt.Sprintf(format, args...), Range: r})
}

func (d *decoder) warnf(r hcl.Range, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{Severity: SeverityWarning, Message: fmt.Sprintf(format, args...), Range: r})
}

// oldNames maps keepalived's older keyword names to the current ones.
var oldNames = map[string]string{"lb_algo": "lvs_sched", "lb_kind": "lvs_method", "nb_get_retry": "retry"}

// schema lists the keywords a block accepts.
type schema struct {
	attrs  []string
	blocks []string
}

// block is one HCL body being decoded.
type block struct {
	d    *decoder
	what string // e.g. `vrrp_instance "VI_1"`, for messages
	body *hclsyntax.Body
	src  Source
}

// open checks the body against the schema (unknown keywords are errors with a suggestion)
// and returns the block to read values from.
func (d *decoder) open(what string, body *hclsyntax.Body, rng hcl.Range, s schema) *block {
	// Sized up front so that a block with many keywords is not rehashed while it is filled.
	b := &block{d: d, what: what, body: body, src: Source{Range: rng, Attrs: make(map[string]hcl.Range, len(body.Attributes))}}
	for name, a := range body.Attributes {
		b.src.Attrs[name] = a.Expr.Range()
		if canon, ok := oldNames[name]; ok && body.Attributes[canon] == nil {
			b.src.Attrs[canon] = a.Expr.Range() // Source.Of("lvs_sched") finds lb_algo
		}
		if contains(s.attrs, name) {
			continue
		}
		if contains(s.blocks, name) {
			d.errorf(a.NameRange, "%s is a block in %s: write %s { ... } without \"=\"", name, what, name)
			continue
		}
		d.errorf(a.NameRange, "unknown keyword %q in %s%s", name, what, suggest(name, s.attrs, s.blocks))
	}
	for _, blk := range body.Blocks {
		if contains(s.blocks, blk.Type) {
			continue
		}
		if contains(s.attrs, blk.Type) {
			d.errorf(blk.TypeRange, "%s is a setting in %s, not a block: write %s = value", blk.Type, what, blk.Type)
			continue
		}
		d.errorf(blk.TypeRange, "unknown block %q in %s%s", blk.Type, what, suggest(blk.Type, s.blocks, s.attrs))
	}
	return b
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// has reports whether the keyword was set.
func (b *block) has(name string) bool {
	_, ok := b.body.Attributes[name]
	return ok
}

// at is the range of the keyword's value (or of the block when it was not set).
func (b *block) at(name string) hcl.Range { return b.src.Of(name) }

// errorf reports an error about the keyword's value.
func (b *block) errorf(name, format string, args ...any) {
	b.d.errorf(b.at(name), format, args...)
}

func (b *block) warnf(name, format string, args ...any) {
	b.d.warnf(b.at(name), format, args...)
}

// value evaluates the keyword's expression. Variables and functions are not available.
func (b *block) value(name string) (cty.Value, bool) {
	a, ok := b.body.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	v, hds := a.Expr.Value(nil)
	if hds.HasErrors() {
		b.d.diags = append(b.d.diags, fromHCL(hds)...)
		return cty.NilVal, false
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		b.errorf(name, "%s in %s must have a value, not null", name, b.what)
		return cty.NilVal, false
	}
	return v, true
}

// str reads a string keyword; it leaves dst alone when the keyword is absent or wrong.
func (b *block) str(name string, dst *string) bool {
	v, ok := b.value(name)
	if !ok {
		return false
	}
	if v.Type() != cty.String {
		b.errorf(name, "%s must be a string in quotes, e.g. %s = \"...\"", name, name)
		return false
	}
	*dst = v.AsString()
	return true
}

func (b *block) boolean(name string, dst *bool) bool {
	v, ok := b.value(name)
	if !ok {
		return false
	}
	if v.Type() != cty.Bool {
		b.errorf(name, "%s must be true or false (keepalived's bare flag %s is %s = true)", name, name, name)
		return false
	}
	*dst = v.True()
	return true
}

// integer reads a whole number in [min, max].
func (b *block) integer(name string, dst *int, min, max int) bool {
	v, ok := b.value(name)
	if !ok {
		return false
	}
	if v.Type() != cty.Number {
		b.errorf(name, "%s must be a whole number from %d to %d", name, min, max)
		return false
	}
	n, ok := bigInt(v.AsBigFloat())
	if !ok || n < int64(min) || n > int64(max) {
		b.errorf(name, "%s must be a whole number from %d to %d, not %s", name, min, max, numString(v))
		return false
	}
	*dst = int(n)
	return true
}

func bigInt(f *big.Float) (int64, bool) {
	if !f.IsInt() {
		return 0, false
	}
	n, acc := f.Int64()
	return n, acc == big.Exact
}

func numString(v cty.Value) string {
	return v.AsBigFloat().Text('g', 10)
}

// maxDuration bounds every duration so that arithmetic on them cannot overflow.
const maxDuration = 100 * 24 * time.Hour

// duration reads a duration: a number of seconds (fractions allowed) or a Go duration string
// such as "100ms". A plain number in a string ("1.5") is also seconds.
func (b *block) duration(name string, dst *time.Duration) bool {
	v, ok := b.value(name)
	if !ok {
		return false
	}
	var d time.Duration
	switch v.Type() {
	case cty.Number:
		secs, _ := v.AsBigFloat().Float64()
		if math.IsInf(secs, 0) || secs < 0 || secs > maxDuration.Seconds() {
			b.errorf(name, "%s must be a duration from 0 to %v, not %s", name, maxDuration, numString(v))
			return false
		}
		d = time.Duration(math.Round(secs * float64(time.Second)))
	case cty.String:
		var err error
		d, err = parseDuration(v.AsString())
		if err != nil {
			b.errorf(name, "%s: %v", name, err)
			return false
		}
	default:
		b.errorf(name, "%s must be a number of seconds or a duration string such as \"100ms\"", name)
		return false
	}
	*dst = d
	return true
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(secs) || math.IsInf(secs, 0) || secs < 0 || secs > maxDuration.Seconds() {
			return 0, fmt.Errorf("%q is not a duration from 0 to %v", s, maxDuration)
		}
		return time.Duration(math.Round(secs * float64(time.Second))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write seconds (e.g. 1.5) or a duration such as \"100ms\"", s)
	}
	if d < 0 || d > maxDuration {
		return 0, fmt.Errorf("%q is not a duration from 0 to %v", s, maxDuration)
	}
	return d, nil
}

// item is one string of a list, with the range of its own expression when it has one.
type item struct {
	s string
	r hcl.Range
}

// strings reads a list of strings, each with its own position.
func (b *block) strings(name string) ([]item, bool) {
	v, ok := b.value(name)
	if !ok {
		return nil, false
	}
	if !(v.Type().IsTupleType() || v.Type().IsListType()) {
		b.errorf(name, "%s must be a list of strings, e.g. %s = [\"...\"]", name, name)
		return nil, false
	}
	ranges := elementRanges(b.body.Attributes[name].Expr)
	var out []item
	for i, e := range v.AsValueSlice() {
		r := b.at(name)
		if i < len(ranges) {
			r = ranges[i]
		}
		if e.Type() != cty.String {
			b.d.errorf(r, "entry %d of %s must be a string in quotes", i+1, name)
			return nil, false
		}
		out = append(out, item{s: e.AsString(), r: r})
	}
	return out, true
}

// numbers reads a list of whole numbers in [min, max].
func (b *block) numbers(name string, min, max int64) ([]int64, bool) {
	v, ok := b.value(name)
	if !ok {
		return nil, false
	}
	if !(v.Type().IsTupleType() || v.Type().IsListType()) {
		b.errorf(name, "%s must be a list of numbers, e.g. %s = [1, 2]", name, name)
		return nil, false
	}
	ranges := elementRanges(b.body.Attributes[name].Expr)
	var out []int64
	for i, e := range v.AsValueSlice() {
		r := b.at(name)
		if i < len(ranges) {
			r = ranges[i]
		}
		n, ok := int64(0), false
		if e.Type() == cty.Number {
			n, ok = bigInt(e.AsBigFloat())
		}
		if !ok || n < min || n > max {
			b.d.errorf(r, "entry %d of %s must be a whole number from %d to %d", i+1, name, min, max)
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func elementRanges(e hclsyntax.Expression) []hcl.Range {
	t, ok := e.(*hclsyntax.TupleConsExpr)
	if !ok {
		return nil
	}
	var rs []hcl.Range
	for _, x := range t.Exprs {
		rs = append(rs, x.Range())
	}
	return rs
}

// script reads a script: a string split into words as keepalived does, or a list as argv.
func (b *block) script(name string, dst *Script) bool {
	v, ok := b.value(name)
	if !ok {
		return false
	}
	var argv []string
	switch {
	case v.Type() == cty.String:
		words, err := script.Split(v.AsString(), true)
		if err != nil {
			b.errorf(name, "%s: %v", name, err)
			return false
		}
		argv = words
	case v.Type().IsTupleType() || v.Type().IsListType():
		items, ok := b.strings(name)
		if !ok {
			return false
		}
		for _, it := range items {
			argv = append(argv, it.s)
		}
	default:
		b.errorf(name, "%s must be a command string or a list of arguments", name)
		return false
	}
	if len(argv) == 0 || argv[0] == "" {
		b.errorf(name, "%s names no program", name)
		return false
	}
	*dst = Script{Argv: argv}
	return true
}

// noEffect reads a keyword halvs takes only so that keepalived configurations load: its
// value is checked, then a warning says it does nothing here and why.
func (b *block) noEffect(name, why string) {
	var v bool
	if b.has(name) && b.boolean(name, &v) {
		b.warnf(name, "%s is accepted for compatibility but has no effect in halvs: %s", name, why)
	}
}

// synonym returns which of two names for one setting was used (keepalived's old name, e.g.
// lb_algo for lvs_sched); using both is an error.
func (b *block) synonym(name, old string) string {
	if b.has(old) {
		if b.has(name) {
			b.errorf(old, "%s and %s are the same setting; keep only %s", old, name, name)
			return name
		}
		return old
	}
	return name
}

// blocks returns the nested blocks of a type, each checked to have no labels.
func (b *block) blocks(typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, blk := range b.body.Blocks {
		if blk.Type != typ {
			continue
		}
		if len(blk.Labels) > 0 {
			b.d.errorf(blk.LabelRanges[0], "%s blocks take no name: write %s { ... }", typ, typ)
			continue
		}
		out = append(out, blk)
	}
	return out
}

// single returns the one nested block of a type, or nil; a second one is an error.
func (b *block) single(typ string) *hclsyntax.Block {
	list := b.blocks(typ)
	if len(list) == 0 {
		return nil
	}
	for _, dup := range list[1:] {
		if first := list[0].TypeRange; first.Filename != dup.TypeRange.Filename {
			b.d.errorf(dup.TypeRange, "duplicate %s block in %s (the first is at %s); merge them", typ, b.what, short(first))
			continue
		}
		b.d.errorf(dup.TypeRange, "duplicate %s block in %s (the first is at line %d); merge them", typ, b.what, list[0].TypeRange.Start.Line)
	}
	return list[0]
}

// label returns the single name of a labelled block such as vrrp_instance "VI_1".
func (d *decoder) label(blk *hclsyntax.Block, example string) (string, bool) {
	if len(blk.Labels) != 1 {
		d.errorf(blk.TypeRange, "%s needs exactly one name in quotes, e.g. %s %s { ... }", blk.Type, blk.Type, example)
		return "", false
	}
	if strings.TrimSpace(blk.Labels[0]) == "" {
		d.errorf(blk.LabelRanges[0], "%s name must not be empty", blk.Type)
		return "", false
	}
	return blk.Labels[0], true
}

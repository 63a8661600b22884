package keepalivedconf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/halvs/halvs/config"
)

// Convert writes the statements read from a keepalived.conf as halvs HCL (formatted, in the
// input's order), without the comments. Every keyword it cannot carry over is left out and
// reported at its keepalived file and line: a warning when cosmetic, an error marked Loss
// when behaviour is lost (loss.go); the output is written either way. The output is meant
// for config.Parse, which then checks the values. ConvertFlat and ConvertFiles keep the
// comments.
func Convert(nodes []*Node) ([]byte, Diagnostics) {
	files, diags := convert(&Tree{Nodes: nodes}, false, false)
	return files[0].HCL, diags
}

type converter struct {
	diags     Diagnostics
	global    *out   // the one global block; keepalived merges repeated global_defs
	instances []*out // the vrrp_instance blocks, completed at the end
	comments  bool   // write the input's comments
}

// comment writes a statement's comments above what it converts to.
func (c *converter) comment(body *hclwrite.Body, n *Node) {
	if !c.comments {
		return
	}
	for _, text := range n.Comments {
		// halvs reads UTF-8 only: a Latin-1 comment must not make the output unreadable.
		text = strings.ToValidUTF8(text, "\uFFFD")
		body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + text + "\n")}})
	}
}

func (c *converter) warn(n *Node, format string, args ...any) {
	c.diags.add(Warning, n.Pos, format, args...)
}

// out is an HCL block being written. It remembers which keywords were set so that a repeated
// keepalived keyword overwrites (keepalived keeps the last) with a warning, and list
// keywords given several times accumulate, as in keepalived.
type out struct {
	body  *hclwrite.Body
	what  string // e.g. `vrrp_instance "VI_1"`, for messages
	set   map[string]Pos
	vals  map[string]cty.Value // the value of each attribute set by setAttr
	lists map[string][]cty.Value
}

func newOut(body *hclwrite.Body, what string) *out {
	return &out{body: body, what: what, set: map[string]Pos{}, vals: map[string]cty.Value{}, lists: map[string][]cty.Value{}}
}

func (c *converter) setAttr(o *out, n *Node, name string, v cty.Value) {
	if first, ok := o.set[name]; ok {
		c.warn(n, "%s is given again in %s (first at %s); keepalived keeps the last, and so does the conversion", n.Keyword(), o.what, first)
	}
	o.set[name] = n.Pos
	o.vals[name] = v
	o.body.SetAttributeValue(name, v)
}

func (c *converter) appendList(o *out, n *Node, name string, vals ...cty.Value) {
	if _, ok := o.set[name]; !ok {
		o.set[name] = n.Pos
	}
	o.lists[name] = append(o.lists[name], vals...)
	if len(o.lists[name]) == 0 {
		o.body.SetAttributeValue(name, cty.ListValEmpty(cty.String))
		return
	}
	o.body.SetAttributeValue(name, cty.TupleVal(o.lists[name]))
}

// top converts one top-level statement.
func (c *converter) top(root *hclwrite.Body, n *Node) {
	kw := n.Keyword()
	if kw == "global_defs" || kw == "SSL" { // keepalived's top-level SSL is halvs' global ssl
		if !c.needBlock(n) {
			return
		}
		if c.global == nil {
			if len(root.Blocks()) > 0 {
				root.AppendNewline()
			}
			c.comment(root, n)
			c.global = newOut(root.AppendNewBlock("global", nil).Body(), "global")
		} else {
			c.comment(c.global.body, n)
		}
		if kw == "SSL" {
			sslBlock(c, c.global, n)
			return
		}
		c.body(c.global, n, globalSpec)
		return
	}
	if kw == "garp_group" { // a block of global in halvs: garpgroup.go
		c.garpGroup(root, n)
		return
	}
	if kw == "interface_up_down_delays" { // a top-level list in halvs, as the block is in keepalived
		entries(kw, nil)(c, newOut(root, "the top level"), n)
		return
	}
	if fix, ok := staticLists[kw]; ok { // routes.go: top-level lists too
		entries(kw, fix)(c, newOut(root, "the top level"), n)
		return
	}
	spec, ok := topSpecs[kw]
	if !ok {
		c.unsupported(n, "the top level", topKeywords())
		return
	}
	if !c.needBlock(n) {
		return
	}
	label, ok := spec.label(c, n)
	if !ok {
		return
	}
	if len(root.Blocks()) > 0 {
		root.AppendNewline()
	}
	c.comment(root, n)
	blk := root.AppendNewBlock(spec.name, []string{label})
	o := newOut(blk.Body(), fmt.Sprintf("%s %q", spec.name, label))
	if spec.name == "vrrp_instance" {
		c.instances = append(c.instances, o)
	}
	if spec.custom != nil {
		spec.custom(c, o, n)
		return
	}
	c.body(o, n, spec.keywords)
}

func (c *converter) needBlock(n *Node) bool {
	if !n.HasBlock {
		c.warn(n, "%s needs a { ... } block; left out", n.Keyword())
	}
	return n.HasBlock
}

// body converts the statements of a block with the keyword table of its kind. A real
// server's checkers left out are reported once the block is done, knowing whether any
// checker is left.
func (c *converter) body(o *out, n *Node, spec map[string]conv) {
	var lost []*Node
	for _, child := range n.Block {
		c.comment(o.body, child)
		if fn, ok := spec[child.Keyword()]; ok {
			fn(c, o, child)
			continue
		}
		if strings.HasPrefix(o.what, "real_server ") && isCheckerKeyword(child.Keyword()) {
			lost = append(lost, child)
			continue
		}
		known := make([]string, 0, len(spec))
		for k := range spec {
			known = append(known, k)
		}
		c.unsupported(child, o.what, known)
	}
	if len(lost) > 0 {
		c.lostCheckers(o, lost)
	}
}

// unsupported reports a keyword left out: a keepalived feature halvs does not have (with
// the reason when there is a well-known one), or a word keepalived would not accept either.
func (c *converter) unsupported(n *Node, where string, known []string) {
	kw := n.Keyword()
	switch {
	case droppedReasons[kw] != "":
		c.leftOut(n, where, droppedReasons[kw])
	case keepalivedKeywords[kw]:
		c.leftOut(n, where, "halvs does not support it")
	default:
		c.warn(n, "unknown keyword %q in %s, left out (keepalived would reject it too)%s", kw, where, didYouMean(kw, known))
	}
}

func topKeywords() []string {
	out := []string{"global_defs"}
	for k := range topSpecs {
		out = append(out, k)
	}
	return out
}

// didYouMean suggests the closest known keyword with config's rule (case and -/_ ignored:
// TCP_CHECK/tcp_check); known is sorted first so that ties give the same answer every run.
func didYouMean(word string, known []string) string {
	sort.Strings(known)
	return config.Suggest(word, known)
}

// hostPort writes keepalived's "ADDR PORT" as "ADDR:PORT", with IPv6 addresses (and
// address ranges) in brackets; a missing port leaves the address alone.
func hostPort(host string, port ...string) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	if len(port) == 0 || port[0] == "" {
		return host
	}
	return host + ":" + port[0]
}

// parseBool reads keepalived's <BOOL>: on|off|true|false|yes|no.
func parseBool(s string) (bool, bool) {
	switch s {
	case "on", "true", "yes":
		return true, true
	case "off", "false", "no":
		return false, true
	}
	return false, false
}

// number reads a keepalived number as cty: whole numbers and decimal fractions only (no
// hex, exponent, infinity or NaN), as keepalived's own readers take them.
func number(s string, whole bool) (cty.Value, bool) {
	t := strings.TrimPrefix(s, "-")
	if t == "" || strings.Trim(t, "0123456789.") != "" || strings.Count(t, ".") > 1 || t == "." {
		return cty.NilVal, false
	}
	if whole {
		if strings.Contains(t, ".") {
			return cty.NilVal, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return cty.NilVal, false
		}
		return cty.NumberIntVal(n), true
	}
	v, err := cty.ParseNumberVal(s)
	return v, err == nil
}

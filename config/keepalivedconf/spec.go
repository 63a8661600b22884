package keepalivedconf

import (
	"strings"

	"github.com/zclconf/go-cty/cty"

	cmdline "github.com/halvs/halvs/internal/script"
)

// conv converts one keepalived statement into the HCL block o.
type conv func(c *converter, o *out, n *Node)

// topSpec describes a named top-level block.
type topSpec struct {
	name     string
	label    func(c *converter, n *Node) (string, bool)
	keywords map[string]conv
	custom   func(c *converter, o *out, n *Node) // converts the body instead of keywords
}

var topSpecs map[string]topSpec

func init() {
	vrrpScript := topSpec{"vrrp_script", oneName, vrrpScriptSpec, nil}
	trackFile := topSpec{"track_file", oneName, trackFileSpec, nil}
	topSpecs = map[string]topSpec{
		"vrrp_instance":        {"vrrp_instance", oneName, vrrpInstanceSpec, nil},
		"vrrp_sync_group":      {"vrrp_sync_group", oneName, syncGroupSpec, nil},
		"vrrp_script":          vrrpScript,
		"track_file":           trackFile,
		"vrrp_track_file":      trackFile, // keepalived's older name
		"vrrp_track_process":   {"vrrp_track_process", oneName, trackProcessSpec, nil},
		"virtual_server_group": {"virtual_server_group", oneName, nil, vsGroupBody},
		"virtual_server":       {"virtual_server", serverLabel, virtualServerSpec, nil},
	}
}

func oneName(c *converter, n *Node) (string, bool) {
	if len(n.Args()) < 1 {
		c.warn(n, "%s needs a name; left out", n.Keyword())
		return "", false
	}
	if len(n.Args()) > 1 {
		c.warn(n, "%s takes one name; the words after %q are left out", n.Keyword(), n.Args()[0])
	}
	return n.Args()[0], true
}

// serverLabel turns "IP PORT", "fwmark N" and "group NAME" into "IP:PORT" ("[v6]:PORT"),
// "fwmark:N" and "group:NAME".
func serverLabel(c *converter, n *Node) (string, bool) {
	a := n.Args()
	switch {
	case len(a) == 0:
		c.warn(n, "%s needs an address and port; left out", n.Keyword())
		return "", false
	case (a[0] == "fwmark" || a[0] == "group") && len(a) >= 2:
		c.extra(n, 2)
		return a[0] + ":" + a[1], true
	}
	c.extra(n, 2)
	return hostPort(a[0], a[1:]...), true
}

// extra warns about words beyond the first keep arguments.
func (c *converter) extra(n *Node, keep int) {
	if len(n.Args()) > keep {
		c.warn(n, "%s: the words %q are left out (halvs has no equivalent)", n.Keyword(), strings.Join(n.Args()[keep:], " "))
	}
}

// Value converters. Each reads the keepalived arguments and sets one HCL attribute.

func str(name string) conv {
	return func(c *converter, o *out, n *Node) {
		if len(n.Args()) == 0 {
			c.warn(n, "%s needs a value; left out", n.Keyword())
			return
		}
		c.extra(n, 1)
		c.setAttr(o, n, name, cty.StringVal(n.Args()[0]))
	}
}

// upper writes a word keepalived reads without regard to case (protocol tcp) in the upper
// case halvs takes.
func upper(name string) conv {
	return func(c *converter, o *out, n *Node) {
		if len(n.Args()) == 0 {
			c.warn(n, "%s needs a value; left out", n.Keyword())
			return
		}
		c.extra(n, 1)
		c.setAttr(o, n, name, cty.StringVal(strings.ToUpper(n.Args()[0])))
	}
}

// allWords keeps all the arguments as one string ("USER GROUP").
func allWords(name string) conv {
	return func(c *converter, o *out, n *Node) {
		if len(n.Args()) == 0 {
			c.warn(n, "%s needs a value; left out", n.Keyword())
			return
		}
		c.setAttr(o, n, name, cty.StringVal(strings.Join(n.Args(), " ")))
	}
}

func num(name string, whole bool) conv {
	return func(c *converter, o *out, n *Node) {
		if len(n.Args()) == 0 {
			c.warn(n, "%s needs a number; left out", n.Keyword())
			return
		}
		v, ok := number(n.Args()[0], whole)
		if !ok {
			c.warn(n, "%s needs a number, not %q; left out", n.Keyword(), n.Args()[0])
			return
		}
		c.extra(n, 1)
		c.setAttr(o, n, name, v)
	}
}

func integer(name string) conv { return num(name, true) }

// duration: keepalived's timers are seconds, fractions allowed; HCL takes the same number.
func duration(name string) conv { return num(name, false) }

// boolFlag converts a bare keepalived flag to true, or reads its optional <BOOL>. invert is for
// keepalived words that clear a setting (no_accept, preempt).
func boolFlag(name string, invert bool) conv {
	return func(c *converter, o *out, n *Node) {
		v := true
		if len(n.Args()) > 0 {
			b, ok := parseBool(n.Args()[0])
			if !ok {
				c.warn(n, "%s takes on/off, true/false or yes/no, not %q; left out", n.Keyword(), n.Args()[0])
				return
			}
			v = b
			c.extra(n, 1)
		}
		c.setAttr(o, n, name, cty.BoolVal(v != invert))
	}
}

// fifo reads "notify_fifo PATH [USER [GROUP]]". keepalived gives a FIFO it creates to USER
// and GROUP; halvs creates it owned by the user it runs as (mode 0600), so they are left out.
func fifo(name string) conv {
	return func(c *converter, o *out, n *Node) {
		a := n.Args()
		if len(a) == 0 {
			c.warn(n, "%s needs a FIFO path; left out", n.Keyword())
			return
		}
		if len(a) > 1 {
			c.warn(n, "%s: the FIFO owner %q is left out (halvs creates a missing FIFO owned by the user it runs as; create it beforehand with the owner you need)", n.Keyword(), strings.Join(a[1:], " "))
		}
		c.setAttr(o, n, name, cty.StringVal(a[0]))
	}
}

// script reads a script the way keepalived does: the raw line is split again honouring
// single quotes, the second word is the command line (halvs splits it into argv the same
// way), and the words after it are the user and group keepalived runs it as.
func script(name string) conv {
	return func(c *converter, o *out, n *Node) {
		ws, err := cmdline.Split(n.Raw, false)
		if err != nil || len(ws) < 2 {
			c.warn(n, "%s needs a script; left out", n.Keyword())
			return
		}
		if len(ws) > 2 {
			c.warn(n, "%s: the user/group %q is left out (halvs runs scripts as global script_user)", n.Keyword(), strings.Join(ws[2:], " "))
		}
		c.setAttr(o, n, name, cty.StringVal(ws[1]))
	}
}

// persistenceTimeout reads persistence_timeout; keepalived's bare keyword means 360 seconds.
func persistenceTimeout(c *converter, o *out, n *Node) {
	if len(n.Args()) == 0 {
		c.setAttr(o, n, "persistence_timeout", cty.NumberIntVal(360))
		return
	}
	integer("persistence_timeout")(c, o, n)
}

// entries converts a value block ("virtual_ipaddress { ... }") to a list of strings, one
// per line in keepalived's own form; each may be rewritten or dropped by fix.
func entries(name string, fix func(c *converter, n *Node) (string, bool)) conv {
	return func(c *converter, o *out, n *Node) {
		if !n.HasBlock {
			c.warn(n, "%s needs a { ... } block of entries; left out", n.Keyword())
			return
		}
		var vals []cty.Value
		for _, e := range n.Block {
			s := strings.Join(e.Words, " ")
			if e.HasBlock {
				c.warn(e, "%s entry %q has a block; left out", n.Keyword(), s)
				continue
			}
			ok := true
			if fix != nil {
				s, ok = fix(c, e)
			}
			if ok {
				vals = append(vals, cty.StringVal(s))
			}
		}
		c.appendList(o, n, name, vals...)
	}
}

// eachWord converts a block of names (vrrp_sync_group's group) into a list, one entry per
// word, as keepalived reads it.
func eachWord(name string) conv {
	return func(c *converter, o *out, n *Node) {
		if !n.HasBlock {
			c.warn(n, "%s needs a { ... } block; left out", n.Keyword())
			return
		}
		var vals []cty.Value
		for _, e := range n.Block {
			for _, w := range e.Words {
				vals = append(vals, cty.StringVal(w))
			}
		}
		c.appendList(o, n, name, vals...)
	}
}

// sub converts a nested block, kept once (authentication) or repeated (checkers, url).
func sub(name string, spec map[string]conv, repeat bool) conv {
	return func(c *converter, o *out, n *Node) {
		if !c.needBlock(n) {
			return
		}
		c.extra(n, 0)
		if !repeat {
			if first, ok := o.set[name]; ok {
				c.warn(n, "%s is given again in %s (first at %s); its settings are merged", n.Keyword(), o.what, first)
				// keepalived applies both blocks' keywords to the same settings.
				for _, b := range o.body.Blocks() {
					if b.Type() == name {
						c.body(newOut(b.Body(), name+" of "+o.what), n, spec)
						return
					}
				}
			}
			o.set[name] = n.Pos
		}
		blk := o.body.AppendNewBlock(name, nil)
		c.body(newOut(blk.Body(), name+" of "+o.what), n, spec)
	}
}

// weightReverse reads "weight N [reverse]" into weight and reverse.
func weightReverse(reverse bool) conv {
	return func(c *converter, o *out, n *Node) {
		a := n.Args()
		if len(a) == 0 {
			c.warn(n, "weight needs a number; left out")
			return
		}
		v, ok := number(a[0], true)
		if !ok {
			c.warn(n, "weight needs a whole number, not %q; left out", a[0])
			return
		}
		c.setAttr(o, n, "weight", v)
		if len(a) > 1 && a[1] == "reverse" && reverse {
			c.setAttr(o, n, "reverse", cty.True)
			c.extra(n, 2)
			return
		}
		c.extra(n, 1)
	}
}

package keepalivedconf

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// The track_file and vrrp_track_process blocks.

var trackProcessSpec = map[string]conv{
	"process":         processLine,
	"param_match":     paramMatch,
	"weight":          weightReverse(true),
	"quorum":          integer("quorum"),
	"quorum_max":      integer("quorum_max"),
	"delay":           duration("delay"),
	"fork_delay":      duration("fork_delay"),
	"terminate_delay": duration("terminate_delay"),
	"full_command":    boolFlag("full_command", false),
}

// processLine converts "process NAME [PARAM ...]": a bare name stays a string, a name with
// parameters becomes a list, so that no quoting is lost.
func processLine(c *converter, o *out, n *Node) {
	a := n.Args()
	switch len(a) {
	case 0:
		c.warn(n, "process needs a process name; left out")
	case 1:
		c.setAttr(o, n, "process", cty.StringVal(a[0]))
	default:
		vals := make([]cty.Value, len(a))
		for i, w := range a {
			vals[i] = cty.StringVal(w)
		}
		c.setAttr(o, n, "process", cty.TupleVal(vals))
	}
}

// paramMatch converts "param_match [initial|partial]"; the bare keyword is an exact match.
func paramMatch(c *converter, o *out, n *Node) {
	if len(n.Args()) == 0 {
		c.setAttr(o, n, "param_match", cty.StringVal("exact"))
		return
	}
	c.extra(n, 1)
	c.setAttr(o, n, "param_match", cty.StringVal(n.Args()[0]))
}

// initFile converts "init_file [VALUE] [overwrite]": bare, it is true; a lone value is a
// number; with overwrite, keepalived's words as a string.
func initFile(c *converter, o *out, n *Node) {
	a := n.Args()
	switch {
	case len(a) == 0:
		c.setAttr(o, n, "init_file", cty.True)
	case len(a) == 1 && a[0] != "overwrite":
		if v, ok := number(a[0], true); ok {
			c.setAttr(o, n, "init_file", v)
			return
		}
		c.setAttr(o, n, "init_file", cty.StringVal(a[0]))
	default:
		c.setAttr(o, n, "init_file", cty.StringVal(strings.Join(a, " ")))
	}
}

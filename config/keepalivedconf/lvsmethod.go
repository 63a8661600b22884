package keepalivedconf

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// lvsMethod converts "lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]"
// (and lb_kind, sorry_server_lvs_method). halvs reads the same words in one string
// (lvs_method = "TUN type gue port 6080"), so TUN keeps its tunnel options; words after
// another method are left out, as before.
func lvsMethod(name string) conv {
	return func(c *converter, o *out, n *Node) {
		a := n.Args()
		switch {
		case len(a) == 0:
			c.warn(n, "%s needs a value; left out", n.Keyword())
		case a[0] == "TUN":
			c.setAttr(o, n, name, cty.StringVal(strings.Join(a, " ")))
		default:
			c.extra(n, 1)
			c.setAttr(o, n, name, cty.StringVal(a[0]))
		}
	}
}

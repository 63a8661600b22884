package keepalivedconf

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// lvsMethod converts "lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]"
// (and lb_kind). halvs programs TUN as IP-in-IP only, so "type ipip" (keepalived's default)
// is carried over and any other encapsulation is a loss: the real server would get packets
// it is not set up to decapsulate.
func lvsMethod(name string) conv {
	return func(c *converter, o *out, n *Node) {
		a := n.Args()
		if len(a) == 0 {
			c.warn(n, "%s needs a value; left out", n.Keyword())
			return
		}
		c.setAttr(o, n, name, cty.StringVal(a[0]))
		rest := a[1:]
		switch {
		case len(rest) == 0:
		case a[0] != "TUN":
			c.extra(n, 1)
		case len(rest) == 2 && rest[0] == "type" && rest[1] == "ipip":
		default:
			who := "virtual server " + labelOf(o.what, "virtual_server") + "'s real servers get"
			if rs := labelOf(o.what, "real_server"); rs != "" {
				who = "real server " + rs + " gets"
			}
			c.lose(n, fmt.Sprintf("%s IP-in-IP packets instead, which a real server set up for %s does not decapsulate", who, strings.Join(rest, " ")),
				"%s TUN %q left out: halvs programs TUN as IP-in-IP (type ipip) only", n.Keyword(), strings.Join(rest, " "))
		}
	}
}

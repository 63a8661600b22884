package keepalivedconf

import (
	"github.com/zclconf/go-cty/cty"
)

// useVMAC reads keepalived's "use_vmac [[name] NAME] [group N]": bare, it is use_vmac = true
// (keepalived's name vrrp.VRID); with a name, use_vmac = "NAME". halvs gives the macvlan its
// base interface's group, keepalived's default, so "group N" is left out with a warning.
func useVMAC(c *converter, o *out, n *Node) {
	a := n.Args()
	name := ""
	for i := 0; i < len(a); i++ {
		switch {
		case a[i] == "group" && i+1 < len(a):
			c.warn(n, "use_vmac: group %s is left out: halvs gives the macvlan its interface's group", a[i+1])
			i++
		case a[i] == "name" && i+1 < len(a):
			name = a[i+1]
			i++
		case name == "":
			name = a[i]
		default:
			c.warn(n, "use_vmac: the word %q is left out (keepalived takes one name)", a[i])
		}
	}
	if name == "" {
		c.setAttr(o, n, "use_vmac", cty.True)
		return
	}
	c.setAttr(o, n, "use_vmac", cty.StringVal(name))
}

// notifyDeleted reads "notify_deleted [SCRIPT [USER [GROUP]]]": bare, notify_deleted = true;
// with a script, the script as notify_* scripts are written.
func notifyDeleted(c *converter, o *out, n *Node) {
	if len(n.Args()) == 0 {
		c.setAttr(o, n, "notify_deleted", cty.True)
		return
	}
	script("notify_deleted")(c, o, n)
}

package keepalivedconf

import (
	"fmt"
	"strings"

	"github.com/halvs/halvs/config"
)

// Routes, rules and addresses that keepalived adds: virtual_routes and virtual_rules of an
// instance, static_ipaddress, static_routes and static_rules at the top level (lists
// there in halvs, as they are blocks in keepalived). An entry is kept as written when halvs
// can apply it; one it cannot (what netlink cannot express) is a loss with the reason.

// staticLists are the top-level keywords converted as lists.
var staticLists = map[string]func(c *converter, n *Node) (string, bool){
	"static_ipaddress": staticAddrEntry,
	"static_routes":    routeEntry("static_routes"),
	"static_rules":     routeEntry("static_rules"),
}

// routeEntry checks a route or rule entry of list (virtual_routes, static_rules, ...).
func routeEntry(list string) func(c *converter, n *Node) (string, bool) {
	return func(c *converter, n *Node) (string, bool) {
		s := strings.Join(n.Words, " ")
		check, what := config.CheckRouteEntry, "route"
		if strings.HasSuffix(list, "_rules") {
			check, what = config.CheckRuleEntry, "rule"
		}
		if err := check(s); err != nil {
			consequence := fmt.Sprintf("this %s is no longer set when halvs starts", what)
			if strings.HasPrefix(list, "virtual_") {
				consequence = fmt.Sprintf("this %s is no longer added when the instance becomes MASTER", what)
			}
			c.lose(n, consequence, "%s entry %q left out: %v", list, s, err)
			return "", false
		}
		return s, true
	}
}

// staticAddrEntry keeps a static_ipaddress entry that names its interface; keepalived's
// default interface is not known to halvs.
func staticAddrEntry(c *converter, n *Node) (string, bool) {
	s, ok := vipEntry(c, n)
	if !ok {
		return "", false
	}
	if err := config.CheckAddressEntry(s); err != nil {
		c.lose(n, "this address is no longer set when halvs starts", "static_ipaddress entry %q left out: %v", s, err)
		return "", false
	}
	if !strings.Contains(" "+s+" ", " dev ") {
		c.lose(n, "this address is no longer set when halvs starts",
			"static_ipaddress entry %q left out: halvs needs dev IF (keepalived's default interface is not known)", s)
		return "", false
	}
	return s, true
}

package vrrp

import (
	"errors"
	"net"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A MASTER's virtual routes and rules, checked in the kernel at the VIP check (once a
// second) and re-added when gone: an operator's `ip route del`, or an interface that went
// down and took its routes with it. keepalived notices the deletions on netlink and re-adds
// its virtual routes the same way.

// RouteChecker is a RouteManager that can say which of the given routes and rules the
// kernel lacks, with one dump of the routes and one of the rules (none for an empty list).
type RouteChecker interface {
	Missing(routes []Route, rules []Rule) ([]Route, []Rule, error)
}

var (
	_ RouteChecker = (*NetlinkRoutes)(nil)
	_ RouteChecker = (*MemoryRoutes)(nil)
	_ RouteChecker = (*RouteLedger)(nil)
)

// Missing returns those of routes and rules that m does not hold.
func (m *MemoryRoutes) Missing(routes []Route, rules []Rule) ([]Route, []Rule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var mr []Route
	var ml []Rule
	for _, r := range routes {
		if _, ok := m.routes[r.String()]; !ok {
			mr = append(mr, r)
		}
	}
	for _, r := range rules {
		if _, ok := m.rules[r.String()]; !ok {
			ml = append(ml, r)
		}
	}
	return mr, ml, nil
}

// Missing asks the RouteManager under the ledger; one that cannot check reports nothing
// missing.
func (l *RouteLedger) Missing(routes []Route, rules []Rule) ([]Route, []Rule, error) {
	if c, ok := l.next.(RouteChecker); ok {
		return c.Missing(routes, rules)
	}
	return nil, nil, nil
}

// Missing dumps the kernel's routes (every table, both families) and rules once each and
// returns those of routes and rules it does not find. A route is found by what the kernel
// tells routes apart by (destination, table, metric, TOS, type) and by its gateway,
// interface and nexthops where it names them; a rule by its family, preference, selectors
// and table or goto. A route whose interface is gone is missing (its re-add then fails and
// says why).
func (n *NetlinkRoutes) Missing(routes []Route, rules []Rule) ([]Route, []Rule, error) {
	var mr []Route
	var ml []Rule
	if len(routes) > 0 {
		have, err := n.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, nil, &RouteError{Op: "list routes", What: "all tables", Err: err}
		}
		for _, r := range routes {
			want, err := n.netlinkRoute(r)
			if err != nil || !slices.ContainsFunc(have, func(k netlink.Route) bool { return sameRoute(want, &k) }) {
				mr = append(mr, r)
			}
		}
	}
	if len(rules) > 0 {
		have, err := n.h.RuleListFiltered(netlink.FAMILY_ALL, nil, 0)
		if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, nil, &RouteError{Op: "list rules", What: "all", Err: err}
		}
		for _, r := range rules {
			want, err := netlinkRule(r)
			if err != nil || !slices.ContainsFunc(have, func(k netlink.Rule) bool { return sameRule(want, &k) }) {
				ml = append(ml, r)
			}
		}
	}
	return mr, ml, nil
}

// ip6DefaultMetric is the metric the kernel gives an IPv6 route added with none
// (IP6_RT_PRIO_USER).
const ip6DefaultMetric = 1024

func sameRoute(want, k *netlink.Route) bool {
	switch {
	case netString(want.Dst) != netString(k.Dst), want.Table != k.Table, want.Tos != k.Tos, want.Type != k.Type:
		return false
	case want.Priority != k.Priority && !(want.Priority == 0 && k.Priority == ip6DefaultMetric && want.Dst.IP.To4() == nil):
		return false
	case want.Gw != nil && !want.Gw.Equal(k.Gw), want.LinkIndex != 0 && want.LinkIndex != k.LinkIndex:
		return false
	}
	for _, nh := range want.MultiPath {
		if !slices.ContainsFunc(k.MultiPath, func(h *netlink.NexthopInfo) bool {
			return nh.Gw.Equal(h.Gw) && (nh.LinkIndex == 0 || nh.LinkIndex == h.LinkIndex)
		}) {
			return false
		}
	}
	return true
}

func sameRule(want, k *netlink.Rule) bool {
	switch {
	case want.Family != k.Family, want.Priority != k.Priority, want.Invert != k.Invert, want.Tos != k.Tos,
		want.Mark != k.Mark, want.IifName != k.IifName, want.OifName != k.OifName,
		netString(want.Src) != netString(k.Src), netString(want.Dst) != netString(k.Dst):
		return false
	case want.Table != 0 && want.Table != k.Table, want.Goto > 0 && want.Goto != k.Goto:
		return false
	}
	return true
}

func netString(n *net.IPNet) string {
	if n == nil {
		return ""
	}
	return n.String()
}

// RepairRoutes re-adds, in keepalived's order (routes, then rules), those of routes and
// rules that m lacks, leaving out the no_track ones; with an m that is no RouteChecker it
// does nothing. report hears of each re-add (err nil) and each refusal, first telling
// whether the entry was not among failing (the entries refused at the last check), so that
// a refusal repeated every check is logged once; it returns the entries refused now. A
// MASTER's virtual routes and the director's static ones are repaired alike.
func RepairRoutes(m RouteManager, routes []Route, rules []Rule, failing map[string]bool,
	report func(kind, what string, first bool, err error)) (map[string]bool, error) {
	c, ok := m.(RouteChecker)
	routes = slices.DeleteFunc(slices.Clone(routes), func(r Route) bool { return r.NoTrack })
	rules = slices.DeleteFunc(slices.Clone(rules), func(r Rule) bool { return r.NoTrack })
	if !ok || len(routes)+len(rules) == 0 {
		return nil, nil
	}
	routes, rules, err := c.Missing(routes, rules)
	if err != nil {
		return failing, err
	}
	var now map[string]bool
	repair := func(kind, what string, err error) {
		report(kind, what, !failing[what], err)
		if err != nil {
			if now == nil {
				now = map[string]bool{}
			}
			now[what] = true
		}
	}
	for _, r := range routes {
		repair("route", r.String(), m.AddRoute(r))
	}
	for _, r := range rules {
		repair("rule", r.String(), m.AddRule(r))
	}
	return now, nil
}

// verifyRoutes re-adds the virtual routes and rules the kernel lost while MASTER, each
// logged once and counted as a repair; those with no_track are not checked. A re-add the
// kernel refuses (the interface is still down) is logged the first time only and tried
// again at the next check.
func (o *vipOwner) verifyRoutes() {
	failing, err := RepairRoutes(o.routes, o.virtualRoutes, o.virtualRules, o.routeRepairFailing,
		func(kind, what string, first bool, err error) {
			if err != nil {
				o.count(func(c *Counters) { c.KernelErrors++ })
				if first {
					o.log.Error("re-add "+kind+" failed (tried again every second while MASTER)", kind, what, "err", err)
				}
				return
			}
			o.count(func(c *Counters) { c.RouteRepairs++ })
			o.log.Warn(kind+" missing from the kernel while MASTER: re-added it", kind, what)
		})
	if err != nil {
		o.routeError("check routes", "virtual_routes and virtual_rules", err)
		return
	}
	o.routeRepairFailing = failing
}

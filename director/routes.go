package director

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/vrrp"
	"golang.org/x/sys/unix"
)

// What halvs keeps in the kernel for as long as it runs, whatever the VRRP state:
// static_ipaddress, static_routes and static_rules. They are added at start (addresses,
// routes, rules), changed by a reload (new ones first, then the gone ones), and removed at
// stop (rules, routes, addresses), after the instances have released theirs. Addresses go
// through the VIP record (vrrp.Ledger), routes and rules through the route record
// (vrrp.RouteLedger): what the host had already is never removed.

// StaticPlan is the static_* part of a config.
type StaticPlan struct {
	Addresses []vrrp.VIP
	Routes    []vrrp.Route
	Rules     []vrrp.Rule
}

func translateStatic(cfg *config.Config) StaticPlan {
	var p StaticPlan
	for _, a := range cfg.StaticIPAddresses {
		p.Addresses = append(p.Addresses, vipOf(a, a.Dev))
	}
	p.Routes, p.Rules = routesOf(cfg.StaticRoutes), rulesOf(cfg.StaticRules)
	routes, rules := handoverPlan(cfg) // handover.go
	p.Routes, p.Rules = append(p.Routes, routes...), append(p.Rules, rules...)
	return p
}

func routesOf(rs []config.Route) []vrrp.Route {
	var out []vrrp.Route
	for _, r := range rs {
		vr := vrrp.Route{
			Dst: r.Dst, Type: r.Type, Table: r.Table, Via: r.Via, Dev: r.Dev, Src: r.Src, Metric: r.Metric,
			Scope: r.Scope, Protocol: r.Protocol, Tos: r.Tos, OnLink: r.OnLink, Realms: r.Realms,
			Metrics: vrrp.RouteMetrics(r.Metrics), Congctl: r.Congctl, Mode: vrrp.RouteMode(r.Mode), NoTrack: r.NoTrack,
		}
		for _, nh := range r.Nexthops {
			vr.Nexthops = append(vr.Nexthops, vrrp.Nexthop(nh))
		}
		out = append(out, vr)
	}
	return out
}

func rulesOf(rs []config.Rule) []vrrp.Rule {
	var out []vrrp.Rule
	for _, r := range rs {
		out = append(out, vrrp.Rule(r.RuleSpec))
	}
	return out
}

// vipOptions carries a virtual_ipaddress entry's ip-address options over, with keepalived's
// default preferred_lft: 0 for an IPv6 /128 (deprecated, so never a source address).
func vipOptions(v config.VIP, out *vrrp.VIP) {
	out.Broadcast, out.Peer, out.DAD = v.Broadcast, v.Peer, v.DAD
	out.PreferredLft, out.HasPreferredLft = v.PreferredLft, v.HasPreferredLft
	if a := v.Prefix.Addr(); a.Is6() && v.Prefix.Bits() == 128 && !v.HasPreferredLft {
		out.HasPreferredLft = true
	}
	for _, f := range []struct {
		on   bool
		flag uint32
	}{{v.NoPrefixRoute, unix.IFA_F_NOPREFIXROUTE}, {v.Home, unix.IFA_F_HOMEADDRESS},
		{v.MngTmpAddr, unix.IFA_F_MANAGETEMPADDR}, {v.AutoJoin, unix.IFA_F_MCAUTOJOIN}} {
		if f.on {
			out.Flags |= f.flag
		}
	}
}

// routeRecordPath is where the routes and rules halvs added are recorded: Options'
// RouteRecord, else beside the VIP record ("x.vips.json" → "x.routes.json"); "" keeps the
// record in memory.
func routeRecordPath(o Options) string {
	switch {
	case o.RouteRecord != "":
		return o.RouteRecord
	case o.VIPRecord == "":
		return ""
	}
	base := strings.TrimSuffix(strings.TrimSuffix(o.VIPRecord, ".json"), ".vips")
	return filepath.Clean(base + ".routes.json")
}

// openRoutes makes the route record over Options.Routes or the kernel's.
func (d *Director) openRoutes() error {
	rm := d.opts.Routes
	if rm == nil {
		n, err := vrrp.NewRoutes()
		if err != nil {
			return err
		}
		rm = n
		d.owned = append(d.owned, n)
	}
	led, err := vrrp.OpenRouteLedger(routeRecordPath(d.opts), rm, d.log)
	if err != nil {
		return err
	}
	d.routes = led
	return nil
}

// startStatic removes what an earlier run left on the route record (its virtual routes,
// static ones no longer configured), then adds p's static addresses, routes and rules.
// Called by Run before the instances start.
func (d *Director) startStatic(p StaticPlan) {
	d.routes.RemoveLeftovers(p.Routes, p.Rules)
	d.changeStatic(StaticPlan{}, p)
}

// changeStatic takes the kernel from old's static_* to next's: the new addresses, routes
// and rules first, then the rules, routes and addresses that went.
func (d *Director) changeStatic(old, next StaticPlan) {
	for _, a := range next.Addresses {
		if !containsVIP(old.Addresses, a) {
			if err := d.ledger.AddVIP(a); err != nil {
				d.log.Error("cannot add a static_ipaddress", "address", a.Prefix, "dev", a.Dev, "err", err)
			} else {
				d.log.Info("setting static address", "address", a.Prefix, "dev", a.Dev)
			}
		}
	}
	for _, r := range next.Routes {
		if !containsString(old.Routes, r) {
			d.staticDo("setting static route", "route", r.String(), d.routes.AddRoute(r))
		}
	}
	for _, r := range next.Rules {
		if !containsString(old.Rules, r) {
			d.staticDo("setting static rule", "rule", r.String(), d.routes.AddRule(r))
		}
	}
	for _, r := range old.Rules {
		if !containsString(next.Rules, r) && d.routes.AddedRule(r) { // the host's own stays
			d.staticDo("removing static rule", "rule", r.String(), d.routes.DelRule(r))
		}
	}
	for _, r := range old.Routes {
		if !containsString(next.Routes, r) && d.routes.Added(r) {
			d.staticDo("removing static route", "route", r.String(), d.routes.DelRoute(r))
		}
	}
	for _, a := range old.Addresses {
		if !containsVIP(next.Addresses, a) {
			if err := d.ledger.DelVIP(a); err != nil {
				d.log.Error("cannot remove a static_ipaddress", "address", a.Prefix, "dev", a.Dev, "err", err)
			} else {
				d.log.Info("removing static address", "address", a.Prefix, "dev", a.Dev)
			}
		}
	}
}

func (d *Director) staticDo(msg, key, what string, err error) {
	if err != nil {
		d.log.Error(msg+" failed", key, what, "err", err)
		return
	}
	d.log.Info(msg, key, what)
}

func containsVIP(vs []vrrp.VIP, v vrrp.VIP) bool {
	for _, w := range vs {
		if w == v {
			return true
		}
	}
	return false
}

func containsString[T interface{ String() string }](xs []T, x T) bool {
	for _, y := range xs {
		if y.String() == x.String() {
			return true
		}
	}
	return false
}

// stringsOf is each route's or rule's `ip` words, for status.
func stringsOf[T interface{ String() string }](xs []T) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.String())
	}
	return out
}

// owner names the block of a vipEntry for messages: `vrrp_instance "VI_1": ` or nothing
// (static_ipaddress is at the top level).
func (e vipEntry) owner() string {
	if e.instance == "" {
		return ""
	}
	return fmt.Sprintf("vrrp_instance %q: ", e.instance)
}

// staticStatus is p for Status; nil when p is empty.
func staticStatus(p StaticPlan) *control.Static {
	if len(p.Addresses)+len(p.Routes)+len(p.Rules) == 0 {
		return nil
	}
	st := &control.Static{Routes: stringsOf(p.Routes), Rules: stringsOf(p.Rules)}
	for _, a := range p.Addresses {
		st.Addresses = append(st.Addresses, a.Prefix.String()+" dev "+a.Dev)
	}
	return st
}

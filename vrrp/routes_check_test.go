package vrrp

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func (l *loggedRoutes) Missing(routes []Route, rules []Rule) ([]Route, []Rule, error) {
	return l.mem.Missing(routes, rules)
}

// TestRoutesRepairedWhileMaster: a virtual route and rule removed behind the MASTER's back
// are back within a second (the VIP check's), counted once each; with nothing missing the
// check changes nothing, and the BACKUP never adds them.
func TestRoutesRepairedWhileMaster(t *testing.T) {
	l, a, ra, _, rb := routedPair(t)
	a.addr.TakeOps()
	if err := ra.mem.DelRoute(route1); err != nil {
		t.Fatal(err)
	}
	if err := ra.mem.DelRule(rule1); err != nil {
		t.Fatal(err)
	}
	l.advance(time.Second)
	want := []string{"add route " + route1.String(), "add rule " + rule1.String()}
	if diff := cmp.Diff(want, a.addr.TakeOps()); diff != "" {
		t.Errorf("the master's repairs (-want +got):\n%s", diff)
	}
	wantHeld := []string{route1.String(), route2.String()}
	slices.Sort(wantHeld)
	if diff := cmp.Diff(wantHeld, ra.mem.Routes()); diff != "" {
		t.Errorf("the master's routes after the repair (-want +got):\n%s", diff)
	}
	if got := a.r.Instance("VI_1").Counters().RouteRepairs; got != 2 {
		t.Errorf("RouteRepairs = %d, want 2", got)
	}
	l.advance(3 * time.Second)
	if ops := a.addr.TakeOps(); len(ops) != 0 {
		t.Errorf("checks with nothing missing changed the kernel: %q", ops)
	}
	if got := append(rb.mem.Routes(), rb.mem.Rules()...); len(got) != 0 {
		t.Errorf("the backup holds %q", got)
	}
}

// TestNetlinkRoutesMissing: with real netlink in a namespace, Missing finds every kind of
// route and rule halvs adds (IPv6 with the kernel's default metric, multipath, a
// blackhole, a default route in another table) and reports exactly those removed, not the
// host's route to the same destination by another gateway.
func TestNetlinkRoutesMissing(t *testing.T) {
	_, _, hosts := newSegment(t, "10.78.0.1/24")
	ns := hosts[0].ns
	ns.AddAddr("hk0", netip.MustParsePrefix("fd00:78::1/64"))
	rm := NewRoutesWithHandle(ns.Handle)
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	routes := []Route{
		{Dst: p("10.20.0.0/16"), Via: a("10.78.0.254"), Dev: "hk0", Table: 100, Metric: 10},
		{Dst: p("10.30.0.0/24"), Type: unix.RTN_BLACKHOLE},
		{Dst: p("0.0.0.0/0"), Via: a("10.78.0.254"), Table: 101},
		{Dst: p("10.50.0.0/16"), Table: 100, Nexthops: []Nexthop{{Via: a("10.78.0.253"), Dev: "hk0"}, {Via: a("10.78.0.254"), Dev: "hk0", Weight: 3}}},
		{Dst: p("fd00:99::/64"), Via: a("fd00:78::254"), Dev: "hk0"},
	}
	rules := []Rule{
		{Priority: 100, From: p("10.78.0.0/24"), Action: unix.FR_ACT_TO_TBL, Table: 100},
		{Priority: 101, IPv6: true, To: p("fd00:99::/64"), Action: unix.FR_ACT_UNREACHABLE},
		{Priority: 102, FwMark: 7, Action: unix.FR_ACT_GOTO, Goto: 200},
	}
	// The host's route to the first destination by another gateway does not count.
	host := routes[0]
	host.Via, host.Protocol = a("10.78.0.253"), unix.RTPROT_BOOT
	if err := rm.AddRoute(host); err != nil {
		t.Fatal(err)
	}
	mr, ml, err := rm.Missing(routes, rules)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(routeKeys(routes), routeKeys(mr)); diff != "" {
		t.Errorf("missing routes before adding (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ruleKeys(rules), ruleKeys(ml)); diff != "" {
		t.Errorf("missing rules before adding (-want +got):\n%s", diff)
	}
	for _, r := range routes {
		if err := rm.AddRoute(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rules {
		if err := rm.AddRule(r); err != nil {
			t.Fatal(err)
		}
	}
	if mr, ml, err = rm.Missing(routes, rules); err != nil || len(mr)+len(ml) != 0 {
		t.Fatalf("Missing with everything added = %v %v %v, want nothing", mr, ml, err)
	}
	for _, k := range []int{0, 3, 4} {
		if err := rm.DelRoute(routes[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := rm.DelRule(rules[1]); err != nil {
		t.Fatal(err)
	}
	if mr, ml, err = rm.Missing(routes, rules); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(routeKeys([]Route{routes[0], routes[3], routes[4]}), routeKeys(mr)); diff != "" {
		t.Errorf("missing routes after removing three (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(ruleKeys(rules[1:2]), ruleKeys(ml)); diff != "" {
		t.Errorf("missing rules after removing one (-want +got):\n%s", diff)
	}
}

// TestRoutesNoTrackNotRepaired: a virtual route and rule with no_track removed behind the
// MASTER's back stay out (keepalived's no_track); the tracked ones beside them come back.
func TestRoutesNoTrackNotRepaired(t *testing.T) {
	l := newLab(t)
	a, ra := l.routedHost(hostA)
	cfg := routedConfig(255)
	untracked, untrackedRule := route2, rule1
	untracked.NoTrack, untrackedRule.NoTrack = true, true
	cfg.VirtualRoutes, cfg.VirtualRules = []Route{route1, untracked}, []Rule{untrackedRule}
	a.apply(t, cfg)
	l.advance(time.Second)
	if state(a) != StateMaster {
		t.Fatalf("A is %v, want MASTER", state(a))
	}
	for _, r := range []Route{route1, untracked} {
		if err := ra.mem.DelRoute(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := ra.mem.DelRule(untrackedRule); err != nil {
		t.Fatal(err)
	}
	a.addr.TakeOps()
	l.advance(3 * time.Second)
	if diff := cmp.Diff([]string{"add route " + route1.String()}, a.addr.TakeOps()); diff != "" {
		t.Errorf("repairs (-want +got):\n%s", diff)
	}
}

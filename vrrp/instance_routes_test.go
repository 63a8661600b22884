package vrrp

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/halvs/halvs/vrrp/vrrptest"
)

// loggedRoutes is a MemoryRoutes whose changes go into the host's vrrptest.Addresser log, so
// that a test sees VIPs, routes and rules in the one order they changed.
type loggedRoutes struct {
	mem  MemoryRoutes
	addr *vrrptest.Addresser
}

func (l *loggedRoutes) log(op string, err error) error {
	if err == nil {
		l.addr.Note(op)
	}
	return err
}

func (l *loggedRoutes) AddRoute(r Route) error {
	return l.log("add route "+r.String(), l.mem.AddRoute(r))
}
func (l *loggedRoutes) DelRoute(r Route) error {
	return l.log("del route "+r.String(), l.mem.DelRoute(r))
}
func (l *loggedRoutes) AddRule(r Rule) error { return l.log("add rule "+r.String(), l.mem.AddRule(r)) }
func (l *loggedRoutes) DelRule(r Rule) error { return l.log("del rule "+r.String(), l.mem.DelRule(r)) }

// routedHost is l.host with a RouteManager.
func (l *lab) routedHost(local netip.Addr) (*host, *loggedRoutes) {
	l.t.Helper()
	h := &host{addr: &vrrptest.Addresser{}, ann: &vrrptest.Announcer{}, links: &vrrptest.Links{}, script: &scriptLog{}}
	rm := &loggedRoutes{addr: h.addr}
	r, err := NewRouter(Deps{
		Addresser: h.addr, Announcer: h.ann, Links: h.links, Clock: l.clock, Routes: rm,
		OpenTransport: func(TransportKey) (Transport, error) {
			h.port = l.seg.Port(local)
			return h.port, nil
		},
		OnStateChange: h.onStateChange, RunScript: h.script.run, Logger: l.logger(),
	})
	if err != nil {
		l.t.Fatal(err)
	}
	h.r = r
	l.hosts = append(l.hosts, h)
	return h, rm
}

var (
	route1 = Route{Dst: netip.MustParsePrefix("10.20.0.0/16"), Via: netip.MustParseAddr("10.10.10.1"), Dev: "eth0", Table: 100}
	route2 = Route{Dst: netip.MustParsePrefix("10.30.0.0/16"), Type: unix.RTN_BLACKHOLE}
	rule1  = Rule{Priority: 100, From: vipPfx, Action: unix.FR_ACT_TO_TBL, Table: 100}
)

func routedConfig(prio uint8) InstanceConfig {
	c := vi1(prio)
	c.VirtualRoutes = []Route{route1, route2}
	c.VirtualRules = []Rule{rule1}
	return c
}

// routedPair starts A (priority 150) and B (priority 100) with routedConfig and waits for A
// to be MASTER and B BACKUP.
func routedPair(t *testing.T) (l *lab, a *host, ra *loggedRoutes, b *host, rb *loggedRoutes) {
	t.Helper()
	l = newLab(t)
	a, ra = l.routedHost(hostA)
	b, rb = l.routedHost(hostB)
	a.apply(t, routedConfig(150))
	b.apply(t, routedConfig(100))
	l.advance(5 * time.Second)
	if state(a) != StateMaster || state(b) != StateBackup {
		t.Fatalf("states A=%v B=%v, want MASTER BACKUP", state(a), state(b))
	}
	return l, a, ra, b, rb
}

// TestRoutesFollowMastership: the MASTER adds its VIP, then its routes, then its rules;
// leaving MASTER it removes the rules, then the routes, then the VIP (keepalived's order);
// the backup holds none until it takes over.
func TestRoutesFollowMastership(t *testing.T) {
	l, a, ra, b, rb := routedPair(t)
	want := []string{"add " + vipPfx.String(), "add route " + route1.String(), "add route " + route2.String(), "add rule " + rule1.String()}
	if diff := cmp.Diff(want, a.addr.TakeOps()); diff != "" {
		t.Errorf("A's kernel changes on takeover (-want +got):\n%s", diff)
	}
	if got := rb.mem.Routes(); len(got) != 0 {
		t.Errorf("the backup holds routes %q", got)
	}
	if got := rb.mem.Rules(); len(got) != 0 {
		t.Errorf("the backup holds rules %q", got)
	}
	b.addr.TakeOps()

	a.r.Shutdown()
	l.settle()
	want = []string{"del rule " + rule1.String(), "del route " + route2.String(), "del route " + route1.String(), "del " + vipPfx.String()}
	if diff := cmp.Diff(want, a.addr.TakeOps()); diff != "" {
		t.Errorf("A's kernel changes on stop (-want +got):\n%s", diff)
	}
	if got := append(ra.mem.Routes(), ra.mem.Rules()...); len(got) != 0 {
		t.Errorf("A kept %q after it stopped", got)
	}
	l.advance(5 * time.Second)
	if state(b) != StateMaster {
		t.Fatalf("B is %v, want MASTER", state(b))
	}
	wantHeld := []string{route1.String(), route2.String()}
	slices.Sort(wantHeld)
	if diff := cmp.Diff(wantHeld, rb.mem.Routes()); diff != "" {
		t.Errorf("B's routes after its takeover (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{rule1.String()}, rb.mem.Rules()); diff != "" {
		t.Errorf("B's rules after its takeover (-want +got):\n%s", diff)
	}
}

// TestReloadRoutesInPlace: a reload adds the new routes and rules and removes those that
// went, with no state change; what stays is not touched, and a backup changes nothing.
func TestReloadRoutesInPlace(t *testing.T) {
	l, a, ra, b, _ := routedPair(t)
	a.addr.TakeOps()
	b.addr.TakeOps()

	next := routedConfig(150)
	route2b := route2
	route2b.Metric = 7
	rule2 := Rule{Priority: 101, To: netip.MustParsePrefix("10.40.0.0/16"), Action: unix.FR_ACT_UNREACHABLE}
	next.VirtualRoutes = []Route{route1, route2b}
	next.VirtualRules = []Rule{rule2}
	nextB := next
	nextB.Priority = 100
	a.apply(t, next)
	b.apply(t, nextB)
	l.settle()
	want := []string{"add route " + route2b.String(), "add rule " + rule2.String(), "del rule " + rule1.String(), "del route " + route2.String()}
	if diff := cmp.Diff(want, a.addr.TakeOps()); diff != "" {
		t.Errorf("the master's kernel changes on reload (-want +got):\n%s", diff)
	}
	if ops := b.addr.TakeOps(); len(ops) != 0 {
		t.Errorf("the backup changed its kernel on reload: %q", ops)
	}
	if state(a) != StateMaster {
		t.Errorf("A is %v after the reload, want MASTER still", state(a))
	}
	wantHeld := []string{route1.String(), route2b.String()}
	slices.Sort(wantHeld)
	if diff := cmp.Diff(wantHeld, ra.mem.Routes()); diff != "" {
		t.Errorf("the master's routes after the reload (-want +got):\n%s", diff)
	}

	// Reordering the lists is no change at all.
	next.VirtualRoutes = []Route{route2b, route1}
	a.apply(t, next)
	l.settle()
	if ops := a.addr.TakeOps(); len(ops) != 0 {
		t.Errorf("reordering virtual_routes changed the kernel: %q", ops)
	}
}

func TestApplyRefusesRoutesWithoutRouteManager(t *testing.T) {
	l := newLab(t)
	h := l.host(hostA)
	err := h.r.Apply([]InstanceConfig{routedConfig(150)}, nil)
	if !errors.Is(err, ErrConfig) {
		t.Errorf("Apply = %v, want ErrConfig", err)
	}
	if len(h.r.Instances()) != 0 {
		t.Error("an instance started all the same")
	}
}

// TestRouteLedgerOwnership: a route or rule the kernel had already is never removed; one
// halvs added is, and the record in the file survives a restart, so that the next start
// removes what a killed run left.
func TestRouteLedgerOwnership(t *testing.T) {
	mem := &MemoryRoutes{}
	hostRoute := Route{Dst: netip.MustParsePrefix("10.50.0.0/16"), Via: netip.MustParseAddr("10.10.10.9")}
	if err := mem.AddRoute(hostRoute); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/routes.json"
	led, err := OpenRouteLedger(path, mem, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Route{hostRoute, route1} {
		if err := led.AddRoute(r); err != nil {
			t.Fatalf("AddRoute(%s) = %v", r, err)
		}
	}
	if err := led.AddRule(rule1); err != nil {
		t.Fatal(err)
	}
	if led.Added(hostRoute) || !led.Added(route1) {
		t.Errorf("Added: host route %v, halvs' route %v; want false, true", led.Added(hostRoute), led.Added(route1))
	}
	if err := led.DelRoute(hostRoute); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(mem.Routes(), hostRoute.String()) {
		t.Fatal("the ledger removed a route halvs did not add")
	}

	// A new run reads the record and removes what is not kept.
	led2, err := OpenRouteLedger(path, mem, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	routes, rules := led2.Recorded()
	if len(routes) != 1 || routes[0].String() != route1.String() || len(rules) != 1 {
		t.Fatalf("record after restart: %v %v, want %s and one rule", routes, rules, route1)
	}
	led2.RemoveLeftovers(nil, nil)
	if diff := cmp.Diff([]string{hostRoute.String()}, mem.Routes()); diff != "" {
		t.Errorf("routes after removing the leftovers (-want +got):\n%s", diff)
	}
	if got := mem.Rules(); len(got) != 0 {
		t.Errorf("rules after removing the leftovers: %q", got)
	}
}

//go:build integration

package integration

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The kernel state the routes test reads in a director's namespace: the routes of table
// 100 and the main table's static route, and the rule of preference 100 (`ip route show
// table 100`, `ip rule` through netlink).
const routesHCLInstance = `  virtual_routes = ["10.20.0.0/16 via 10.10.10.1 dev eth0 table 100", "blackhole 10.21.0.0/16 table 100"]
  virtual_rules  = ["from 10.10.10.22 table 100 preference 100"]
`

const routesHCLTop = `static_routes = ["10.30.0.0/16 via 10.10.10.1 dev eth0"]
static_rules  = ["to 10.31.0.0/16 table 200 preference 200"]

`

// routingOf lists node's routes in table 100, its route to 10.30.0.0/16 in the main table
// and its rules of preference 100 and 200, in `ip` words.
func routingOf(t *testing.T, node *Node) []string {
	t.Helper()
	h := node.NS.Handle
	var out []string
	for _, table := range []int{100, unix.RT_TABLE_MAIN} {
		rs, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Dst == nil || (table == unix.RT_TABLE_MAIN && r.Dst.String() != "10.30.0.0/16") {
				continue
			}
			s := fmt.Sprintf("table %d %s", table, r.Dst)
			if r.Type == unix.RTN_BLACKHOLE {
				s = fmt.Sprintf("table %d blackhole %s", table, r.Dst)
			}
			if r.Gw != nil {
				s += " via " + r.Gw.String()
			}
			out = append(out, s+fmt.Sprintf(" proto %d", r.Protocol))
		}
	}
	rules, err := h.RuleList(netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.Priority == 100 || r.Priority == 200 {
			s := fmt.Sprintf("rule %d", r.Priority)
			if r.Src != nil {
				s += " from " + r.Src.String()
			}
			if r.Dst != nil {
				s += " to " + r.Dst.String()
			}
			out = append(out, s+fmt.Sprintf(" table %d", r.Table))
		}
	}
	slices.Sort(out)
	return out
}

var (
	virtualRouting = []string{
		"rule 100 from 10.10.10.22/32 table 100",
		"table 100 10.20.0.0/16 via 10.10.10.1 proto 18",
		"table 100 blackhole 10.21.0.0/16 proto 18",
	}
	staticRouting = []string{"rule 200 to 10.31.0.0/16 table 200", "table 254 10.30.0.0/16 via 10.10.10.1 proto 18"}
)

func withStatic(more ...string) []string {
	out := append(slices.Clone(staticRouting), more...)
	slices.Sort(out)
	return out
}

// routingIs waits until node's routing is want (the routes follow the VIPs on the kernel
// worker), then fails the test with what it has if it never is.
func routingIs(t *testing.T, node *Node, want []string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := routingOf(t, node)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's routing:\n  %s\nwant:\n  %s", node.Name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestVirtualRoutesFollowMaster: two halvs directors with the same virtual_routes,
// virtual_rules, static_routes and static_rules. The routes and the rule of table 100 are
// in the MASTER's kernel only, move to the backup when the master stops and back when it
// returns and preempts; the static ones are in both kernels while halvs runs there, and go
// when it stops.
func TestVirtualRoutesFollowMaster(t *testing.T) {
	p := newPair(t, VIP4, Halvs)
	a, b := fast(150), fast(100)
	for _, in := range []*Instance{&a, &b} {
		in.HCLTop, in.HCLInstance = routesHCLTop, routesHCLInstance
	}
	mark := p.obs.Mark()
	da := p.start(Halvs, p.lab.A, a)
	p.start(Halvs, p.lab.B, b)
	p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)
	routingIs(t, p.lab.A, withStatic(virtualRouting...), 2*time.Second)
	routingIs(t, p.lab.B, withStatic(), 2*time.Second)

	mark = p.obs.Mark()
	if err := da.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	p.expectMaster(mark, p.lab.B, 5*time.Second, time.Second)
	routingIs(t, p.lab.B, withStatic(virtualRouting...), 2*time.Second)
	routingIs(t, p.lab.A, nil, 2*time.Second) // stopped: nothing of halvs' is left

	mark = p.obs.Mark()
	p.start(Halvs, p.lab.A, a)
	p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)
	routingIs(t, p.lab.A, withStatic(virtualRouting...), 2*time.Second)
	routingIs(t, p.lab.B, withStatic(), 2*time.Second)
}

// TestVirtualRoutesRepairedOnMaster: a virtual route and rule deleted from the MASTER's
// kernel behind halvs' back (`ip route del`, `ip rule del`) are back within two seconds
// (the VIP check's, once a second); the BACKUP still holds none of them after that.
func TestVirtualRoutesRepairedOnMaster(t *testing.T) {
	p := newPair(t, VIP4, Halvs)
	a, b := fast(150), fast(100)
	for _, in := range []*Instance{&a, &b} {
		in.HCLTop, in.HCLInstance = routesHCLTop, routesHCLInstance
	}
	mark := p.obs.Mark()
	p.start(Halvs, p.lab.A, a)
	p.start(Halvs, p.lab.B, b)
	p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)
	routingIs(t, p.lab.A, withStatic(virtualRouting...), 2*time.Second)

	h := p.lab.A.NS.Handle
	dst := netip.MustParsePrefix("10.20.0.0/16")
	if err := h.RouteDel(&netlink.Route{Dst: &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), 32)}, Table: 100}); err != nil {
		t.Fatalf("ip route del 10.20.0.0/16 table 100: %v", err)
	}
	rule := netlink.NewRule()
	rule.Priority, rule.Family = 100, netlink.FAMILY_V4
	if err := h.RuleDel(rule); err != nil {
		t.Fatalf("ip rule del preference 100: %v", err)
	}
	if got := routingOf(t, p.lab.A); slices.Equal(got, withStatic(virtualRouting...)) {
		t.Fatal("the deletions did not take")
	}
	routingIs(t, p.lab.A, withStatic(virtualRouting...), 2500*time.Millisecond)
	if got := routingOf(t, p.lab.B); !slices.Equal(got, withStatic()) {
		t.Errorf("the backup's routing:\n  %s\nwant only the static ones", strings.Join(got, "\n  "))
	}
}

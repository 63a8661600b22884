package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// kernelRoute is what the kernel reports about one route, read back with netlink.
type kernelRoute struct {
	Type, Table, Protocol, Scope, Metric int
	Via, Src, Dev                        string
	MTU, AdvMSS                          int
	MTULock                              bool
	Nexthops                             []string // "via weight"
}

// readKernelRoutes returns the routes to dst in table, as the kernel reports them.
func readKernelRoutes(t *testing.T, h *netlink.Handle, table int, dst netip.Prefix) []kernelRoute {
	t.Helper()
	fam := netlink.FAMILY_V4
	if dst.Addr().Is6() {
		fam = netlink.FAMILY_V6
	}
	rs, err := h.RouteListFiltered(fam, &netlink.Route{Table: table}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	var out []kernelRoute
	for _, r := range rs {
		if r.Dst == nil || r.Dst.String() != dst.String() {
			continue
		}
		k := kernelRoute{Type: r.Type, Table: r.Table, Protocol: int(r.Protocol), Scope: int(r.Scope), Metric: r.Priority,
			MTU: r.MTU, AdvMSS: r.AdvMSS, MTULock: r.MTULock}
		if r.Gw != nil {
			k.Via = r.Gw.String()
		}
		if r.Src != nil {
			k.Src = r.Src.String()
		}
		if r.LinkIndex > 0 {
			l, err := h.LinkByIndex(r.LinkIndex)
			if err != nil {
				t.Fatal(err)
			}
			k.Dev = l.Attrs().Name
		}
		for _, nh := range r.MultiPath {
			k.Nexthops = append(k.Nexthops, nh.Gw.String()+" "+string(rune('0'+nh.Hops+1)))
		}
		slices.Sort(k.Nexthops)
		out = append(out, k)
	}
	return out
}

// TestNetlinkRoutes adds each route twice (the second is EEXIST), reads it back from the
// kernel, removes it twice (the second finds nothing and succeeds), and checks that a route
// of the host's to the same destination by another path is never touched.
func TestNetlinkRoutes(t *testing.T) {
	_, _, hosts := newSegment(t, "10.77.0.1/24")
	ns := hosts[0].ns
	ns.AddAddr("hk0", netip.MustParsePrefix("fd00:77::1/64"))
	rm := NewRoutesWithHandle(ns.Handle)
	p, a := netip.MustParsePrefix, netip.MustParseAddr

	// The host's own route to 10.20.0.0/16 in table 100, by another gateway.
	link, err := ns.Handle.LinkByName("hk0")
	if err != nil {
		t.Fatal(err)
	}
	hostRoute := &netlink.Route{Dst: prefixNet(p("10.20.0.0/16")), Gw: net.ParseIP("10.77.0.253"), Table: 100,
		LinkIndex: link.Attrs().Index, Protocol: unix.RTPROT_BOOT}
	if err := ns.Handle.RouteAdd(hostRoute); err != nil {
		t.Fatal(err)
	}
	hostKernel := kernelRoute{Type: unix.RTN_UNICAST, Table: 100, Protocol: unix.RTPROT_BOOT, Via: "10.77.0.253", Dev: "hk0"}

	tests := []struct {
		name  string
		route Route
		want  kernelRoute
	}{
		{"via, src, metric, table", Route{Dst: p("10.20.0.0/16"), Via: a("10.77.0.254"), Dev: "hk0", Table: 100, Metric: 10, Src: a("10.77.0.1")},
			kernelRoute{Type: unix.RTN_UNICAST, Table: 100, Protocol: ProtoKeepalived, Metric: 10, Via: "10.77.0.254", Src: "10.77.0.1", Dev: "hk0"}},
		{"blackhole", Route{Dst: p("10.30.0.0/24"), Type: unix.RTN_BLACKHOLE, Table: 100},
			kernelRoute{Type: unix.RTN_BLACKHOLE, Table: 100, Protocol: ProtoKeepalived}},
		{"dev, scope link, main table", Route{Dst: p("10.40.0.0/24"), Dev: "hk0", Scope: unix.RT_SCOPE_LINK},
			kernelRoute{Type: unix.RTN_UNICAST, Table: unix.RT_TABLE_MAIN, Protocol: ProtoKeepalived, Scope: unix.RT_SCOPE_LINK, Dev: "hk0"}},
		{"metrics with lock, proto static", Route{Dst: p("10.41.0.0/24"), Via: a("10.77.0.254"), Table: 100, Protocol: unix.RTPROT_STATIC,
			Metrics: RouteMetrics{MTU: 1400, MTULock: true, AdvMSS: 1300}},
			kernelRoute{Type: unix.RTN_UNICAST, Table: 100, Protocol: unix.RTPROT_STATIC, Via: "10.77.0.254", Dev: "hk0", MTU: 1400, MTULock: true, AdvMSS: 1300}},
		{"multipath", Route{Dst: p("10.50.0.0/16"), Table: 100, Nexthops: []Nexthop{{Via: a("10.77.0.253"), Dev: "hk0"}, {Via: a("10.77.0.254"), Dev: "hk0", Weight: 3}}},
			kernelRoute{Type: unix.RTN_UNICAST, Table: 100, Protocol: ProtoKeepalived, Nexthops: []string{"10.77.0.253 1", "10.77.0.254 3"}}},
		{"IPv6 via in table 100", Route{Dst: p("fd00:99::/64"), Via: a("fd00:77::254"), Dev: "hk0", Table: 100, Metric: 5},
			kernelRoute{Type: unix.RTN_UNICAST, Table: 100, Protocol: ProtoKeepalived, Metric: 5, Via: "fd00:77::254", Dev: "hk0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rm.AddRoute(tt.route); err != nil {
				t.Fatalf("AddRoute: %v", err)
			}
			if err := rm.AddRoute(tt.route); !errors.Is(err, unix.EEXIST) {
				t.Errorf("second AddRoute = %v, want EEXIST", err)
			}
			got := readKernelRoutes(t, ns.Handle, int(tt.route.table()), tt.route.Dst)
			want := []kernelRoute{tt.want}
			if tt.route.Dst == p("10.20.0.0/16") {
				want = append(want, hostKernel)
			}
			sortRoutes := cmp.Transformer("sort", func(in []kernelRoute) []kernelRoute {
				out := slices.Clone(in)
				slices.SortFunc(out, func(x, y kernelRoute) int { return cmpString(x.Via, y.Via) })
				return out
			})
			if diff := cmp.Diff(want, got, sortRoutes); diff != "" {
				t.Errorf("kernel routes to %s (-want +got):\n%s", tt.route.Dst, diff)
			}
			for i := range 2 {
				if err := rm.DelRoute(tt.route); err != nil {
					t.Fatalf("DelRoute #%d: %v", i+1, err)
				}
			}
			want = want[1:]
			got = readKernelRoutes(t, ns.Handle, int(tt.route.table()), tt.route.Dst)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("kernel routes to %s after delete (-want +got):\n%s", tt.route.Dst, diff)
			}
		})
	}
	if err := rm.DelRoute(Route{Dst: p("10.60.0.0/24"), Dev: "hk9"}); err != nil {
		t.Errorf("DelRoute on a missing interface = %v, want success", err)
	}
	if err := rm.AddRoute(Route{Dst: p("10.60.0.0/24"), Via: a("fd00::1")}); !errors.Is(err, ErrInvalidRoute) {
		t.Errorf("AddRoute of a mixed-family route = %v, want ErrInvalidRoute", err)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestNetlinkRules adds rules of each action, reads them back, and removes them.
func TestNetlinkRules(t *testing.T) {
	_, _, hosts := newSegment(t, "10.77.0.1/24")
	ns := hosts[0].ns
	rm := NewRoutesWithHandle(ns.Handle)
	p := netip.MustParsePrefix
	type kernelRule struct {
		Family, Table, Goto int
		Action              string // the action word `ip rule` prints
		Src, Dst, Iif       string
		Mark, Mask          uint32
		Invert              bool
		Protocol            uint8
		Dport               string
	}
	tests := []struct {
		name string
		rule Rule
		want kernelRule
	}{
		{"from to table", Rule{Priority: 100, From: p("10.10.10.22/32"), To: p("10.20.0.0/16"), Action: unix.FR_ACT_TO_TBL, Table: 100},
			kernelRule{Family: unix.AF_INET, Table: 100, Action: "lookup", Goto: -1, Src: "10.10.10.22/32", Dst: "10.20.0.0/16", Protocol: ProtoKeepalived}},
		{"not fwmark iif blackhole", Rule{Priority: 101, Not: true, FwMark: 0x10, FwMask: 0xff, HasMask: true, Iif: "hk0", Action: unix.FR_ACT_BLACKHOLE},
			kernelRule{Family: unix.AF_INET, Action: "blackhole", Goto: -1, Iif: "hk0", Mark: 0x10, Mask: 0xff, Invert: true, Protocol: ProtoKeepalived}},
		{"goto", Rule{Priority: 102, To: p("10.30.0.0/16"), Action: unix.FR_ACT_GOTO, Goto: 200},
			kernelRule{Family: unix.AF_INET, Action: "goto", Goto: 200, Dst: "10.30.0.0/16", Protocol: ProtoKeepalived}},
		{"IPv6 ipproto dport, table 1000", Rule{Priority: 103, IPv6: true, From: p("fd00::/64"), IPProto: unix.IPPROTO_TCP, Dport: [2]uint16{80, 80}, Action: unix.FR_ACT_TO_TBL, Table: 1000},
			kernelRule{Family: unix.AF_INET6, Table: 1000, Action: "lookup", Goto: -1, Src: "fd00::/64", Protocol: ProtoKeepalived, Dport: "80-80"}},
	}
	find := func(r Rule) (kernelRule, int) {
		fam := netlink.FAMILY_V4
		if r.IPv6 {
			fam = netlink.FAMILY_V6
		}
		rs, err := ns.Handle.RuleList(fam)
		if err != nil {
			t.Fatal(err)
		}
		var got kernelRule
		n := 0
		for _, k := range rs {
			if k.Priority != int(r.Priority) {
				continue
			}
			n++
			got = kernelRule{Family: k.Family, Table: k.Table, Goto: k.Goto, Iif: k.IifName,
				Mark: k.Mark, Invert: k.Invert, Protocol: k.Protocol}
			// The netlink package does not read a rule's action back: ip prints it.
			fam := "-4"
			if r.IPv6 {
				fam = "-6"
			}
			line := ns.Run("ip", fam, "rule", "show", "pref", fmt.Sprint(r.Priority))
			for _, w := range []string{"lookup", "blackhole", "goto", "unreachable", "prohibit", "nop"} {
				if strings.Contains(line, " "+w) {
					got.Action = w
					break
				}
			}
			if k.Mask != nil {
				got.Mask = *k.Mask
			}
			if k.Src != nil {
				got.Src = k.Src.String()
			}
			if k.Dst != nil {
				got.Dst = k.Dst.String()
			}
			if k.Dport != nil {
				got.Dport = fmt.Sprintf("%d-%d", k.Dport.Start, k.Dport.End)
			}
		}
		return got, n
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := rm.AddRule(tt.rule); err != nil {
				t.Fatalf("AddRule: %v", err)
			}
			if err := rm.AddRule(tt.rule); !errors.Is(err, unix.EEXIST) {
				t.Errorf("second AddRule = %v, want EEXIST", err)
			}
			got, n := find(tt.rule)
			if n != 1 {
				t.Fatalf("the kernel has %d rules of preference %d, want 1", n, tt.rule.Priority)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("kernel rule (-want +got):\n%s", diff)
			}
			for i := range 2 {
				if err := rm.DelRule(tt.rule); err != nil {
					t.Fatalf("DelRule #%d: %v", i+1, err)
				}
			}
			if _, n := find(tt.rule); n != 0 {
				t.Errorf("the kernel still has %d rules of preference %d", n, tt.rule.Priority)
			}
		})
	}
}

// TestAddresserOptions: brd, peer, noprefixroute, -nodad and preferred_lft reach the kernel.
func TestAddresserOptions(t *testing.T) {
	_, _, hosts := newSegment(t, "10.77.0.1/24")
	ns := hosts[0].ns
	ad := NewAddresserWithHandle(ns.Handle)
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	type got struct {
		Broadcast, Peer               string
		NoPrefixRoute, NoDAD, Depr    bool
		PreferredForever, PrefixRoute bool
	}
	tests := []struct {
		name string
		vip  VIP
		want got
	}{
		{"brd", VIP{Prefix: p("10.78.0.5/24"), Dev: "hk0", Broadcast: a("10.78.0.255")},
			got{Broadcast: "10.78.0.255", PreferredForever: true, PrefixRoute: true}},
		{"peer", VIP{Prefix: p("10.79.0.5/32"), Dev: "hk0", Peer: a("10.79.1.1")},
			got{Peer: "10.79.1.1/32", PreferredForever: true, PrefixRoute: true}},
		{"noprefixroute", VIP{Prefix: p("10.80.0.5/24"), Dev: "hk0", Flags: unix.IFA_F_NOPREFIXROUTE},
			got{NoPrefixRoute: true, PreferredForever: true}},
		{"IPv6 preferred_lft 0", VIP{Prefix: p("fd00:81::5/64"), Dev: "hk0", HasPreferredLft: true},
			got{NoDAD: true, Depr: true, PrefixRoute: true}},
		{"IPv6 -nodad", VIP{Prefix: p("fd00:82::5/64"), Dev: "hk0", DAD: true},
			got{PreferredForever: true, PrefixRoute: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ad.AddVIP(tt.vip); err != nil {
				t.Fatal(err)
			}
			addrs, err := ns.Handle.AddrList(nil, netlink.FAMILY_ALL)
			if err != nil {
				t.Fatal(err)
			}
			var g got
			found := false
			for _, k := range addrs {
				if ip, _ := netip.AddrFromSlice(k.IP); ip.Unmap() != tt.vip.Prefix.Addr() {
					continue
				}
				found = true
				if k.Broadcast != nil {
					g.Broadcast = k.Broadcast.String()
				}
				if k.Peer != nil {
					g.Peer = k.Peer.String()
				}
				g.NoPrefixRoute = k.Flags&unix.IFA_F_NOPREFIXROUTE != 0
				g.NoDAD = k.Flags&unix.IFA_F_NODAD != 0
				g.Depr = k.Flags&unix.IFA_F_DEPRECATED != 0
				g.PreferredForever = k.PreferedLft == int(^uint32(0)) || k.PreferedLft == -1
			}
			if !found {
				t.Fatalf("the kernel does not list %s", tt.vip.Prefix)
			}
			fam := netlink.FAMILY_V4
			if tt.vip.Prefix.Addr().Is6() {
				fam = netlink.FAMILY_V6
			}
			rs, err := ns.Handle.RouteListFiltered(fam, &netlink.Route{Dst: prefixNet(tt.vip.Prefix)}, netlink.RT_FILTER_DST)
			if err != nil {
				t.Fatal(err)
			}
			g.PrefixRoute = len(rs) > 0
			if tt.vip.Peer.IsValid() {
				g.PrefixRoute = readKernelRoutes(t, ns.Handle, unix.RT_TABLE_MAIN, netip.PrefixFrom(tt.vip.Peer, 32)) != nil
			}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("kernel address (-want +got):\n%s", diff)
			}
			if err := ad.DelVIP(tt.vip); err != nil {
				t.Fatal(err)
			}
			if _, ok := readKernelAddr(t, ns.Handle, "hk0", tt.vip.Prefix); ok {
				t.Errorf("%s is still there after DelVIP", tt.vip.Prefix)
			}
		})
	}
}

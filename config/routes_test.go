package config_test

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/halvs/halvs/config"
)

var (
	pfx     = netip.MustParsePrefix
	addr    = netip.MustParseAddr
	cmpAddr = cmp.Options{
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmpopts.IgnoreTypes(config.Source{}),
	}
)

func routeConfig(list, entry string) string {
	return vi("  " + list + " = [" + strconv.Quote(entry) + "]\n")
}

func TestVirtualRoutes(t *testing.T) {
	tests := []struct {
		name, entry string
		want        config.Route
	}{
		{"via dev table", "10.20.0.0/16 via 10.10.10.1 dev eth0 table 100",
			config.Route{Dst: pfx("10.20.0.0/16"), Via: addr("10.10.10.1"), Dev: "eth0", Table: 100}},
		{"keepalived's src to via", "src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1",
			config.Route{Dst: pfx("192.168.109.0/24"), Src: addr("192.168.100.1"), Via: addr("192.168.200.254"), Dev: "eth1"}},
		{"blackhole", "blackhole 192.168.114.0/24", config.Route{Dst: pfx("192.168.114.0/24"), Type: 6}},
		{"default gw table", "0.0.0.0/0 gw 192.168.0.1 table 100", config.Route{Dst: pfx("0.0.0.0/0"), Via: addr("192.168.0.1"), Table: 100}},
		{"default word, IPv6", "default via fd00::1 table main", config.Route{Dst: pfx("::/0"), Via: addr("fd00::1"), Table: 254}},
		{"names and numbers", "unreachable 10.1.0.0/16 metric 5 scope link protocol bird tos 0x10 table local append",
			config.Route{Dst: pfx("10.1.0.0/16"), Type: 7, Metric: 5, Scope: 253, Protocol: 12, Tos: 0x10, Table: 255, Mode: config.RouteAppend}},
		{"metrics", "10.2.0.0/16 dev eth0 mtu lock 1400 advmss 1300 rtt 20ms rttvar 8 rto_min lock 1s hoplimit 64 features ecn congctl cubic add onlink realms 3/4",
			config.Route{Dst: pfx("10.2.0.0/16"), Dev: "eth0", Mode: config.RouteAdd, OnLink: true, Realms: 3<<16 | 4, Congctl: "cubic",
				Metrics: config.RouteMetrics{MTU: 1400, MTULock: true, AdvMSS: 1300, RTT: 160, RTTVar: 8, RTOMin: 1000, RTOMinLock: true, Hoplimit: 64, Features: 1}}},
		{"multipath", "192.168.100.0/24 table 6909 nexthop via 192.168.101.1 dev eth0 onlink weight 1 nexthop via 192.168.101.2 dev eth0 weight 2",
			config.Route{Dst: pfx("192.168.100.0/24"), Table: 6909, Nexthops: []config.Nexthop{
				{Via: addr("192.168.101.1"), Dev: "eth0", OnLink: true, Weight: 1}, {Via: addr("192.168.101.2"), Dev: "eth0", Weight: 2}}}},
		{"or", "192.168.113.0/24 via 192.168.200.254 or 192.168.100.254 dev eth1",
			config.Route{Dst: pfx("192.168.113.0/24"), Dev: "eth1", Nexthops: []config.Nexthop{{Via: addr("192.168.200.254")}, {Via: addr("192.168.100.254")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := config.Parse([]byte(routeConfig("virtual_routes", tt.entry)), "t.hcl")
			if diags.HasErrors() {
				t.Fatalf("errors:\n%s", diags)
			}
			got := cfg.VRRPInstances[0].VirtualRoutes
			if diff := cmp.Diff([]config.Route{tt.want}, got, cmpAddr); diff != "" {
				t.Errorf("route (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRouteDiagnostics: what netlink cannot express, and what is wrong, is an error at the
// entry with the reason; deprecated and ineffective words are warnings.
func TestRouteDiagnostics(t *testing.T) {
	const at = "4:21: "
	runDiagCases(t, []diagCase{
		{"IPv6 from", routeConfig("virtual_routes", "fd00::/64 from fd01::/64 dev eth0"),
			[]string{at + "error: from (an IPv6 source-specific route) cannot be expressed through the netlink library"}},
		{"encap", routeConfig("virtual_routes", "10.0.0.0/8 encap mpls 200 via 10.1.1.1"),
			[]string{at + "error: encap is not supported by halvs"}},
		{"advmss lock", routeConfig("virtual_routes", "10.0.0.0/8 dev eth0 advmss lock 1300"),
			[]string{at + "error: advmss lock cannot be expressed"}},
		{"nexthop realms", routeConfig("virtual_routes", "10.0.0.0/8 nexthop via 10.1.1.1 realms 2"),
			[]string{at + "error: realms on a nexthop cannot be expressed"}},
		{"host bits", routeConfig("virtual_routes", "10.20.0.1/16 via 10.1.1.1"),
			[]string{at + "error: destination 10.20.0.1/16 has host bits set; write 10.20.0.0/16"}},
		{"mixed families", routeConfig("virtual_routes", "10.0.0.0/8 via fd00::1"),
			[]string{at + "error: mixes IPv4 and IPv6 addresses"}},
		{"table name", routeConfig("virtual_routes", "10.0.0.0/8 dev eth0 table vpn"),
			[]string{at + `error: table "vpn" is not a number from 0 to 4294967295 or a table name`}},
		{"typo", routeConfig("virtual_routes", "10.0.0.0/8 dev eth0 metirc 5"),
			[]string{at + `error: virtual_routes entry "10.0.0.0/8 dev eth0 metirc 5": unknown word "metirc"`}},
		{"no destination", routeConfig("virtual_routes", "via 10.1.1.1"),
			[]string{at + "error: a route needs a destination"}},
		{"gw and no_track", routeConfig("virtual_routes", "10.0.0.0/8 gw 10.1.1.1 no_track"),
			[]string{at + `warning: "gw" is deprecated`}},
	})
}

func TestVirtualRules(t *testing.T) {
	spec := func(s config.RuleSpec) config.Rule { return config.Rule{RuleSpec: s} }
	tests := []struct {
		name, entry string
		want        config.Rule
	}{
		{"from table", "from 192.168.2.0/24 table 1 preference 100",
			spec(config.RuleSpec{Priority: 100, From: pfx("192.168.2.0/24"), Action: 1, Table: 1})},
		{"keepalived's example", "from 192.168.28.0/24 to 192.168.29.0/26 table 5 iif eth1 oif eth0 tos 22 fwmark 24/12 preference 39 realms 30/20",
			spec(config.RuleSpec{Priority: 39, From: pfx("192.168.28.0/24"), To: pfx("192.168.29.0/26"), Action: 1, Table: 5, Iif: "eth1", Oif: "eth0",
				Tos: 22, FwMark: 24, FwMask: 12, HasMask: true, Realms: 30<<16 | 20})},
		{"IPv6 uidrange ports", "to 1:2:3:4:6:6:7:0/112 from 8:6:5:4:3:2::/96 table 6908 uidrange 10000-19999 ipproto udp sport 10-20 dport 30 protocol 12 priority 5",
			spec(config.RuleSpec{Priority: 5, IPv6: true, To: pfx("1:2:3:4:6:6:7:0/112"), From: pfx("8:6:5:4:3:2::/96"), Action: 1, Table: 6908,
				UIDRange: [2]uint32{10000, 19999}, HasUIDRange: true, IPProto: 17, Sport: [2]uint16{10, 20}, Dport: [2]uint16{30, 30}, Protocol: 12})},
		{"not goto", "not to 10.0.0.0/8 goto 200 preference 100", spec(config.RuleSpec{Priority: 100, Not: true, To: pfx("10.0.0.0/8"), Action: 2, Goto: 200})},
		{"keepalived has no pref", "to 10.0.0.0/8 table 5 pref 100", config.Rule{}},
		{"type blackhole", "from all fwmark 0x10 type blackhole order 7", spec(config.RuleSpec{Priority: 7, FwMark: 16, Action: 6})},
		{"inet6 prohibit", "inet6 prohibit priority 9", spec(config.RuleSpec{Priority: 9, IPv6: true, Action: 8})},
		{"suppress", "table main suppress_prefixlength 0 preference 10", spec(config.RuleSpec{Priority: 10, Action: 1, Table: 254, HasSuppressPrefixLen: true})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := config.Parse([]byte(routeConfig("virtual_rules", tt.entry)), "t.hcl")
			if tt.want.Action == 0 { // rows that must be refused
				if !diags.HasErrors() {
					t.Fatalf("no error for %q", tt.entry)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("errors:\n%s", diags)
			}
			if diff := cmp.Diff([]config.Rule{tt.want}, cfg.VRRPInstances[0].VirtualRules, cmpAddr); diff != "" {
				t.Errorf("rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRuleDiagnostics(t *testing.T) {
	const at = "4:20: "
	runDiagCases(t, []diagCase{
		{"no action", routeConfig("virtual_rules", "from 10.0.0.0/8 preference 5"), []string{at + "error: a rule needs an action"}},
		{"two actions", routeConfig("virtual_rules", "table 5 blackhole preference 5"), []string{at + "error: more than one of table, goto"}},
		{"goto backwards", routeConfig("virtual_rules", "goto 5 preference 10"), []string{at + "error: goto 5 must be after the rule's preference 10"}},
		{"realms without table", routeConfig("virtual_rules", "blackhole realms 3 preference 5"), []string{at + "error: realms applies to a table action only"}},
		{"table 0", routeConfig("virtual_rules", "table 0 preference 5"), []string{at + "error: table 0 is not a routing table"}},
		{"l3mdev", routeConfig("virtual_rules", "l3mdev preference 5"), []string{at + "error: l3mdev cannot be expressed"}},
		{"tunnel-id", routeConfig("virtual_rules", "tunnel-id 5 table 5 preference 5"), []string{at + "error: tunnel-id cannot be expressed"}},
		{"no preference", routeConfig("virtual_rules", "from 10.0.0.0/8 table 5"),
			[]string{at + "warning: rule has no preference: it gets 16384, as keepalived numbers them"}},
	})
}

// TestStaticRouting: static_* at the top level; rules without a preference are numbered
// down from 16384 in file order, per family, across virtual_rules and static_rules.
func TestStaticRouting(t *testing.T) {
	src := vi(`  virtual_rules = ["from 10.1.0.0/16 table 1", "inet6 from fd00::/64 table 1"]
`) + `static_ipaddress = ["10.9.9.9/24 dev eth1 brd +"]
static_routes = ["10.30.0.0/16 via 10.9.9.1 dev eth1"]
static_rules = ["to 10.30.0.0/16 table 2", "to 10.31.0.0/16 table 2 preference 50"]
`
	cfg := mustParse(t, src)
	got := map[string]uint32{}
	for _, r := range append(cfg.VRRPInstances[0].VirtualRules, cfg.StaticRules...) {
		got[r.From.String()+" "+r.To.String()] = r.Priority
	}
	want := map[string]uint32{
		"10.1.0.0/16 invalid Prefix": 16384, "fd00::/64 invalid Prefix": 16384,
		"invalid Prefix 10.30.0.0/16": 16383, "invalid Prefix 10.31.0.0/16": 50,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rule preferences (-want +got):\n%s", diff)
	}
	wantAddr := []config.VIP{{Prefix: pfx("10.9.9.9/24"), Dev: "eth1", Broadcast: addr("10.9.9.255")}}
	if diff := cmp.Diff(wantAddr, cfg.StaticIPAddresses, cmpAddr); diff != "" {
		t.Errorf("static_ipaddress (-want +got):\n%s", diff)
	}
	wantRoute := []config.Route{{Dst: pfx("10.30.0.0/16"), Via: addr("10.9.9.1"), Dev: "eth1"}}
	if diff := cmp.Diff(wantRoute, cfg.StaticRoutes, cmpAddr); diff != "" {
		t.Errorf("static_routes (-want +got):\n%s", diff)
	}
	runDiagCases(t, []diagCase{
		{"static address without dev", vi("") + `static_ipaddress = ["10.9.9.9/24"]` + "\n",
			[]string{`6:21: error: static_ipaddress 10.9.9.9/24 needs dev IF`}},
	})
}

func TestVIPOptions(t *testing.T) {
	tests := []struct {
		entry string
		want  config.VIP
	}{
		{"10.10.10.22/24 brd + dev eth0", config.VIP{Prefix: pfx("10.10.10.22/24"), Broadcast: addr("10.10.10.255"), Dev: "eth0"}},
		{"10.10.10.22/24 broadcast -", config.VIP{Prefix: pfx("10.10.10.22/24"), Broadcast: addr("10.10.10.0")}},
		{"10.10.10.22 peer 10.10.20.1/24", config.VIP{Prefix: pfx("10.10.10.22/24"), Peer: addr("10.10.20.1")}},
		{"fd00::22/64 preferred_lft 0 -nodad noprefixroute", config.VIP{Prefix: pfx("fd00::22/64"), HasPreferredLft: true, DAD: true, NoPrefixRoute: true}},
		{"fd00::22/128 preferred_lft forever nodad home mngtmpaddr autojoin",
			config.VIP{Prefix: pfx("fd00::22/128"), PreferredLft: 1<<32 - 1, HasPreferredLft: true, Home: true, MngTmpAddr: true, AutoJoin: true}},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			// An IPv4 instance carries the IPv6 entries as excluded addresses.
			list := "virtual_ipaddress"
			if pfx(tt.want.Prefix.String()).Addr().Is6() {
				list = "virtual_ipaddress_excluded"
			}
			cfg := mustParse(t, routeConfig(list, tt.entry))
			got := cfg.VRRPInstances[0].VirtualIPAddresses
			if list != "virtual_ipaddress" {
				got = cfg.VRRPInstances[0].VirtualIPAddressesExcl
			}
			if diff := cmp.Diff([]config.VIP{tt.want}, got, cmpAddr); diff != "" {
				t.Errorf("VIP (-want +got):\n%s", diff)
			}
		})
	}
	runDiagCases(t, []diagCase{
		{"brd + on /31", routeConfig("virtual_ipaddress", "10.0.0.1/31 brd +"), []string{"4:24: error: brd + needs a prefix of /30 or shorter"}},
		{"peer with a prefix", routeConfig("virtual_ipaddress", "10.0.0.1/24 peer 10.0.1.1"), []string{"4:24: error: the address takes the peer's prefix length"}},
		{"preferred_lft on IPv4", routeConfig("virtual_ipaddress", "10.0.0.1/24 preferred_lft 0"), []string{"4:24: warning: preferred_lft has no effect on an IPv4 address"}},
		{"use_vmac", routeConfig("virtual_ipaddress", "10.0.0.1/24 use_vmac"), []string{"4:24: error: use_vmac is not supported"}},
	})
}

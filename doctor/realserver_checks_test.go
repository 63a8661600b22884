package doctor

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRealServerVIPsAndTUN: without --vip a real server's VIPs are the host addresses on lo
// (and tunl0 for TUN); a TUN real server needs tunl0 up with a rp_filter that is not strict.
func TestRealServerVIPsAndTUN(t *testing.T) {
	loopback := IfAddr{"lo", netip.MustParsePrefix("127.0.0.1/8")}
	onLo := IfAddr{"lo", netip.MustParsePrefix("10.10.10.22/32")}
	onLo6 := IfAddr{"lo", netip.MustParsePrefix("2001:db8::22/128")}
	onTun := IfAddr{"tunl0", netip.MustParsePrefix("10.10.10.22/32")}
	eth0 := IfAddr{"eth0", netip.MustParsePrefix("10.10.10.31/24")}
	good := map[string]string{"net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2",
		"net.ipv4.conf.eth0.arp_ignore": "0", "net.ipv4.conf.eth0.arp_announce": "0",
		"net.ipv4.conf.all.rp_filter": "0", "net.ipv4.conf.eth0.rp_filter": "0", "net.ipv4.conf.tunl0.rp_filter": "0"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	up := []Link{{"lo", true}, {"eth0", true}, {"tunl0", true}}
	tests := []struct {
		name   string
		sys    *fakeSystem
		tun    bool
		fails  []string // "check: fix"
		passed string   // one of the passed checks
	}{
		{"VIPs from lo", &fakeSystem{sysctls: good, addrs: []IfAddr{loopback, onLo, onLo6, eth0}}, false, nil,
			"VIPs found on lo: 10.10.10.22, 2001:db8::22"},
		{"no VIP on lo", &fakeSystem{sysctls: good, addrs: []IfAddr{loopback, eth0}}, false,
			[]string{"vip: halvs realserver up --vip ADDR   # ADDR: each virtual server's address"}, ""},
		{"TUN: VIP on tunl0, tunl0 up", &fakeSystem{sysctls: good, addrs: []IfAddr{loopback, onTun, eth0}, links: up}, true, nil,
			"tunl0 is up and its rp_filter is not strict"},
		{"TUN: no tunl0", &fakeSystem{sysctls: good, addrs: []IfAddr{loopback, onLo, eth0}, links: up[:2]}, true,
			[]string{"tunl0: halvs realserver up --tun --vip 10.10.10.22"}, "VIP 10.10.10.22 on lo"},
		{"TUN: tunl0 down", &fakeSystem{sysctls: good, addrs: []IfAddr{loopback, onLo, eth0}, links: []Link{{"lo", true}, {"tunl0", false}}}, true,
			[]string{"tunl0: halvs realserver up --tun --vip 10.10.10.22"}, ""},
		{"TUN: strict rp_filter on tunl0", &fakeSystem{sysctls: with("net.ipv4.conf.tunl0.rp_filter", "1"), addrs: []IfAddr{loopback, onTun, eth0}, links: up}, true,
			[]string{"tunl0: halvs realserver up --tun --vip 10.10.10.22"}, ""},
		{"DR: a VIP on tunl0 is on a NIC", &fakeSystem{sysctls: good, addrs: []IfAddr{loopback, onLo, onTun, eth0}, links: up}, false,
			[]string{"vip: ip addr del 10.10.10.22/32 dev tunl0 && halvs realserver up --vip 10.10.10.22"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Run(tt.sys, Options{Role: RealServer, TUN: tt.tun})
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.Check+": "+f.Fix)
			}
			if diff := cmp.Diff(tt.fails, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if tt.passed != "" && !slices.Contains(rep.Passed, tt.passed) {
				t.Errorf("passed %q, want %q among them", rep.Passed, tt.passed)
			}
		})
	}
}

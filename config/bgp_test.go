package config_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

// bgpVS is a virtual server the bgp_announce rows can track and announce.
const bgpVS = "virtual_server \"10.10.10.22:80\" {\n  protocol = \"TCP\"\n}\n" // lines 1-3

func TestBGPDecode(t *testing.T) {
	src := bgpVS + `bgp {
  asn       = 65010
  router_id = "10.0.0.11"
  neighbor "10.0.0.1" {
    peer_asn  = 65000
    hold_time = 3
  }
  neighbor "2001:db8::1" {
    peer_asn      = 4200000000
    port          = 1179
    local_address = "2001:db8::11"
    connect_retry = 2
  }
}
bgp_announce "web" {
  prefixes             = ["10.10.10.22/32"]
  track_virtual_server = ["10.10.10.22:80"]
  drain_time           = 7
}
bgp_announce "bare" {
  prefixes = ["10.10.10.22"]
}
`
	// "bare" repeats the prefix: that is an error, so parse each announce separately.
	got := mustParse(t, src[:len(src)-len("bgp_announce \"bare\" {\n  prefixes = [\"10.10.10.22\"]\n}\n")])
	want := &config.BGP{
		ASN: 65010, RouterID: netip.MustParseAddr("10.0.0.11"), ListenPort: 179, Interface: "halvs0",
		Neighbors: []config.BGPNeighbor{
			{Addr: netip.MustParseAddr("10.0.0.1"), PeerASN: 65000, HoldTime: 3 * time.Second, ConnectRetry: 5 * time.Second, Port: 179},
			{Addr: netip.MustParseAddr("2001:db8::1"), PeerASN: 4200000000, HoldTime: 90 * time.Second, ConnectRetry: 2 * time.Second, Port: 1179,
				LocalAddress: netip.MustParseAddr("2001:db8::11")},
		},
	}
	if diff := cmp.Diff(want, got.BGP, configtest.IgnorePositions()); diff != "" {
		t.Errorf("bgp (-want +got):\n%s", diff)
	}
	wantAnn := []config.BGPAnnounce{{Name: "web", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")},
		TrackVirtualServers: []string{"10.10.10.22:80"}, DrainTime: 7 * time.Second}}
	if diff := cmp.Diff(wantAnn, got.BGPAnnounces, configtest.IgnorePositions()); diff != "" {
		t.Errorf("bgp_announce (-want +got):\n%s", diff)
	}

	bare := mustParse(t, bgpVS+"bgp {\n  asn = 65010\n  neighbor \"10.0.0.1\" {\n    peer_asn = 65000\n  }\n}\nbgp_announce \"bare\" {\n  prefixes = [\"10.10.10.22\"]\n}\n")
	wantBare := []config.BGPAnnounce{{Name: "bare", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")}, DrainTime: config.DefaultBGPDrainTime}}
	if diff := cmp.Diff(wantBare, bare.BGPAnnounces, configtest.IgnorePositions()); diff != "" {
		t.Errorf("bgp_announce defaults (-want +got):\n%s", diff)
	}
	if bare.BGP.RouterID.IsValid() {
		t.Errorf("router_id unset: got %v, want invalid (the host's first IPv4 address is the bgp package's)", bare.BGP.RouterID)
	}
}

// bgpWith is bgpVS and a bgp block with one neighbor whose body is nb (line 7 on), then tail.
func bgpWith(top, nb, tail string) string {
	return bgpVS + "bgp {\n  asn = 65010\n" + top + "  neighbor \"10.0.0.1\" {\n    peer_asn = 65000\n" + nb + "  }\n}\n" + tail
}

func TestBGPValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "valid", src: bgpWith("", "", "bgp_announce \"web\" {\n  prefixes = [\"10.10.10.22/32\"]\n  track_virtual_server = [\"10.10.10.22:80\"]\n}\n")},
		{name: "hold_time below 3", src: bgpWith("", "    hold_time = 2\n", ""), want: []string{`8:17: error: hold_time must be at least 3s`}},
		{name: "hold_time 0", src: bgpWith("", "    hold_time = 0\n", ""), want: []string{`8:17: error: hold_time must be at least 3s`}},
		{name: "hold_time fractional", src: bgpWith("", "    hold_time = 3.5\n", ""), want: []string{`8:17: error: hold_time is whole seconds on the wire`}},
		{name: "hold_time over 16 bits", src: bgpWith("", "    hold_time = 65536\n", ""), want: []string{`8:17: error: hold_time must be at most 65535 s`}},
		{name: "asn 0", src: bgpVS + "bgp {\n  asn = 0\n}\n", want: []string{`5:9: error: asn must be a whole number from 1 to 4294967294, not 0`, `4:1: warning: bgp has no neighbor`}},
		{name: "asn over 32 bits", src: bgpVS + "bgp {\n  asn = 4294967295\n}\n", want: []string{`5:9: error: asn must be a whole number from 1 to 4294967294`, `4:1: warning: bgp has no neighbor`}},
		{name: "asn AS_TRANS", src: bgpVS + "bgp {\n  asn = 23456\n}\n", want: []string{`5:9: error: asn 23456 is AS_TRANS`, `4:1: warning: bgp has no neighbor`}},
		{name: "asn missing", src: bgpVS + "bgp {\n  neighbor \"10.0.0.1\" {\n    peer_asn = 65000\n  }\n}\n", want: []string{`4:1: error: bgp needs asn`}},
		{name: "no neighbor", src: bgpVS + "bgp {\n  asn = 65010\n}\n", want: []string{`4:1: warning: bgp has no neighbor`}},
		{name: "peer_asn missing", src: bgpVS + "bgp {\n  asn = 65010\n  neighbor \"10.0.0.1\" {\n  }\n}\n", want: []string{`6:3: error: neighbor 10.0.0.1 needs peer_asn`}},
		{name: "peer_asn range", src: bgpVS + "bgp {\n  asn = 65010\n  neighbor \"10.0.0.1\" {\n    peer_asn = -1\n  }\n}\n", want: []string{`7:16: error: peer_asn must be a whole number from 1 to 4294967294`}},
		{name: "duplicate neighbor", src: bgpVS + "bgp {\n  asn = 65010\n  neighbor \"10.0.0.1\" {\n    peer_asn = 65000\n  }\n  neighbor \"10.0.0.1\" {\n    peer_asn = 65001\n  }\n}\n",
			want: []string{`9:12: error: neighbor 10.0.0.1 is defined twice in bgp (first at t.hcl:6:12)`}},
		{name: "neighbor not an address", src: bgpVS + "bgp {\n  asn = 65010\n  neighbor \"router1\" {\n    peer_asn = 65000\n  }\n}\n",
			want: []string{`6:12: error: neighbor: "router1" is not an IP address`}},
		{name: "router_id IPv6", src: bgpWith("  router_id = \"2001:db8::1\"\n", "", ""), want: []string{`6:15: error: router_id "2001:db8::1" must be an IPv4 address`}},
		{name: "local_address family", src: bgpWith("", "    local_address = \"2001:db8::2\"\n", ""), want: []string{`8:21: error: local_address 2001:db8::2 is IPv6 but neighbor 10.0.0.1 is IPv4`}},
		{name: "unknown neighbor keyword", src: bgpWith("", "    hold = 3\n", ""), want: []string{`8:5: error: unknown keyword "hold" in neighbor "10.0.0.1"`}},
		{name: "bad interface", src: bgpWith("  interface = \"a-name-too-long-for-linux\"\n", "", ""), want: []string{`6:15: error: interface:`}},
		{name: "two bgp blocks", src: bgpWith("", "", "bgp {\n  asn = 65011\n}\n"), want: []string{`10:1: error: duplicate bgp block`}},
		{name: "announce unknown virtual server", src: bgpWith("", "", "bgp_announce \"web\" {\n  prefixes = [\"10.10.10.22/32\"]\n  track_virtual_server = [\"10.10.10.23:80\"]\n}\n"),
			want: []string{`12:27: error: track_virtual_server "10.10.10.23:80" names no virtual_server`}},
		{name: "announce bad track entry", src: bgpWith("", "", "bgp_announce \"web\" {\n  prefixes = [\"10.10.10.22/32\"]\n  track_virtual_server = [\"web\"]\n}\n"),
			want: []string{`12:27: error: track_virtual_server entry "web"`}},
		{name: "announce not a host route", src: bgpWith("", "", "bgp_announce \"web\" {\n  prefixes = [\"10.10.10.0/24\"]\n}\n"),
			want: []string{`11:15: error: prefixes: 10.10.10.0/24 is not a host route; announce each virtual address alone, as 10.10.10.0/32`}},
		{name: "announce IPv6 not a host route", src: bgpWith("", "", "bgp_announce \"web\" {\n  prefixes = [\"2001:db8::1/64\"]\n}\n"),
			want: []string{`11:15: error: prefixes: 2001:db8::1/64 is not a host route`}},
		{name: "announce no virtual server's address", src: bgpWith("", "", "bgp_announce \"web\" {\n  prefixes = [\"10.10.10.99/32\"]\n}\n"),
			want: []string{`11:15: warning: prefix 10.10.10.99/32 is no virtual_server's address`}},
		{name: "announce group address", src: "virtual_server_group \"G\" {\n  vip = [\"10.10.10.20-30:80\"]\n}\nvirtual_server \"group:G\" {\n  protocol = \"TCP\"\n}\n" +
			"bgp {\n  asn = 65010\n  neighbor \"10.0.0.1\" {\n    peer_asn = 65000\n  }\n}\nbgp_announce \"web\" {\n  prefixes = [\"10.10.10.25/32\"]\n}\n"},
		{name: "prefix twice in one announce", src: bgpWith("", "", "bgp_announce \"web\" {\n  prefixes = [\"10.10.10.22/32\", \"10.10.10.22\"]\n}\n"),
			want: []string{`11:33: error: prefixes: 10.10.10.22/32 is listed twice`}},
		{name: "prefix in two announces", src: bgpWith("", "", "bgp_announce \"a\" {\n  prefixes = [\"10.10.10.22/32\"]\n}\nbgp_announce \"b\" {\n  prefixes = [\"10.10.10.22/32\"]\n}\n"),
			want: []string{`14:15: error: prefix 10.10.10.22/32 is already announced by bgp_announce "a"`}},
		{name: "announce without prefixes", src: bgpWith("", "", "bgp_announce \"web\" {\n}\n"), want: []string{`10:1: error: bgp_announce "web" needs prefixes`}},
		{name: "announce without bgp", src: bgpVS + "bgp_announce \"web\" {\n  prefixes = [\"10.10.10.22/32\"]\n}\n",
			want: []string{`4:1: error: bgp_announce "web" needs a bgp block`}},
		{name: "announce defined twice", src: bgpWith("", "", "bgp_announce \"a\" {\n  prefixes = [\"10.10.10.22/32\"]\n}\nbgp_announce \"a\" {\n  prefixes = [\"10.10.10.22/32\"]\n}\n"),
			want: []string{`13:1: error: bgp_announce "a" is defined twice`}},
	})
}

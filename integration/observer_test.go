//go:build integration

package integration

import (
	"encoding/hex"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseFrame feeds the observer's parser keepalived's own frames (captured by tcpdump,
// vrrp/testdata/keepalived) and variants of them it must ignore. It needs no root.
func TestParseFrame(t *testing.T) {
	kaMAC := net.HardwareAddr{0x02, 0, 0x0a, 0x0a, 0x0a, 0x1e}
	garp := readHexFrame(t, "keepalived-v2-garp.hex")
	advert4 := readHexFrame(t, "keepalived-v2-pass-advert.hex")
	advert6 := readHexFrame(t, "keepalived-v3-ipv6-advert.hex")
	na := readHexFrame(t, "keepalived-v3-ipv6-na.hex")
	// edit returns a copy of frame with b written at offset off.
	edit := func(frame []byte, off int, b ...byte) []byte {
		c := append([]byte(nil), frame...)
		copy(c[off:], b)
		return c
	}
	const eth, ip4, ip6 = 14, 20, 40 // header lengths
	group4 := netip.MustParseAddr("224.0.0.18")
	tests := []struct {
		name  string
		frame []byte
		want  Event
		ok    bool
	}{
		{"v2 garp", garp, Event{Kind: KindGARP, SrcMAC: kaMAC, IP: netip.MustParseAddr("10.10.10.22"), Op: 1}, true},
		{"v2 pass advert", advert4, Event{Kind: KindAdvert, SrcMAC: kaMAC, IP: netip.MustParseAddr("10.10.10.30"),
			Version: 2, VRID: 51, Priority: 150, TTL: 255, Dst: group4, Interval: time.Second, Auth: "1111"}, true},
		// Authentication type 0: the 8 bytes after the addresses are no password.
		{"v2 advert without authentication", edit(advert4, eth+ip4+4, 0), Event{Kind: KindAdvert, SrcMAC: kaMAC,
			IP: netip.MustParseAddr("10.10.10.30"), Version: 2, VRID: 51, Priority: 150, TTL: 255, Dst: group4, Interval: time.Second}, true},
		{"v3 priority 0", readHexFrame(t, "keepalived-v3-prio0.hex"), Event{Kind: KindAdvert, SrcMAC: kaMAC,
			IP: netip.MustParseAddr("10.10.10.30"), Version: 3, VRID: 51, Priority: 0, TTL: 255, Dst: group4, Interval: time.Second}, true},
		{"v3 unicast advert", readHexFrame(t, "keepalived-v3-unicast-advert.hex"), Event{Kind: KindAdvert, SrcMAC: kaMAC,
			IP: netip.MustParseAddr("10.10.10.30"), Version: 3, VRID: 53, Priority: 150, TTL: 255,
			Dst: netip.MustParseAddr("10.10.10.100"), Interval: time.Second}, true},
		{"v3 ipv6 advert", advert6, Event{Kind: KindAdvert, SrcMAC: kaMAC, IP: netip.MustParseAddr("fe80::aff:fe0a:a1e"),
			Version: 3, VRID: 52, Priority: 150, TTL: 255, Dst: netip.MustParseAddr("ff02::12"), Interval: 100 * time.Millisecond}, true},
		{"v3 ipv6 na", na, Event{Kind: KindNA, SrcMAC: kaMAC, IP: netip.MustParseAddr("fe80::5:2"), TTL: 255, Op: 1,
			Dst: netip.MustParseAddr("ff02::1")}, true},

		// An ARP request that asks for another host is not gratuitous.
		{"arp who-has", edit(garp, eth+24, 10, 10, 10, 100), Event{}, false},
		{"LLDP ethertype", edit(advert4, 12, 0x88, 0xcc), Event{}, false},
		{"ipv4 tcp", edit(advert4, eth+9, 6), Event{}, false},
		{"ipv6 neighbour solicitation", edit(na, eth+ip6, 135), Event{}, false},
		{"ipv4 advert truncated", advert4[:eth+ip4+4], Event{}, false},
		{"ipv6 advert truncated", advert6[:eth+ip6+4], Event{}, false},
		{"ipv6 header truncated", advert6[:eth+ip6-1], Event{}, false},
		{"short", garp[:13], Event{}, false},
		{"empty", nil, Event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseFrame(tt.frame)
			if ok != tt.ok {
				t.Fatalf("parseFrame ok = %v, want %v (event %v)", ok, tt.ok, got)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("parseFrame (-want +got):\n%s", diff)
			}
		})
	}
}

func readHexFrame(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "vrrp", "testdata", "keepalived", name))
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			last = line
		}
	}
	frame, err := hex.DecodeString(last)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return frame
}

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

	"github.com/google/go-cmp/cmp"
)

// TestParseFrame feeds the observer's parser keepalived's own frames (captured by tcpdump,
// vrrp/testdata/keepalived) and a few it must ignore. It needs no root.
func TestParseFrame(t *testing.T) {
	kaMAC := net.HardwareAddr{0x02, 0, 0x0a, 0x0a, 0x0a, 0x1e}
	tests := []struct {
		file string
		want Event
		ok   bool
	}{
		{"keepalived-v2-garp.hex", Event{Kind: KindGARP, SrcMAC: kaMAC, IP: netip.MustParseAddr("10.10.10.22"), Op: 1}, true},
		{"keepalived-v2-pass-advert.hex", Event{Kind: KindAdvert, SrcMAC: kaMAC, IP: netip.MustParseAddr("10.10.10.30"),
			Version: 2, VRID: 51, Priority: 150, TTL: 255}, true},
		{"keepalived-v3-prio0.hex", Event{Kind: KindAdvert, SrcMAC: kaMAC, IP: netip.MustParseAddr("10.10.10.30"),
			Version: 3, VRID: 51, Priority: 0, TTL: 255}, true},
		{"keepalived-v3-unicast-advert.hex", Event{Kind: KindAdvert, SrcMAC: kaMAC, IP: netip.MustParseAddr("10.10.10.30"),
			Version: 3, VRID: 53, Priority: 150, TTL: 255}, true},
		{"keepalived-v3-ipv6-advert.hex", Event{Kind: KindAdvert, SrcMAC: kaMAC, IP: netip.MustParseAddr("fe80::aff:fe0a:a1e"),
			Version: 3, VRID: 52, Priority: 150, TTL: 255}, true},
		{"keepalived-v3-ipv6-na.hex", Event{Kind: KindNA, SrcMAC: kaMAC, IP: netip.MustParseAddr("fe80::5:2"), TTL: 255, Op: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, ok := parseFrame(readHexFrame(t, tt.file))
			if ok != tt.ok {
				t.Fatalf("parseFrame ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("parseFrame (-want +got):\n%s", diff)
			}
		})
	}

	// An ARP request that asks for another host is not gratuitous; a short frame is nothing.
	garp := readHexFrame(t, "keepalived-v2-garp.hex")
	asking := append([]byte(nil), garp...)
	copy(asking[14+24:14+28], []byte{10, 10, 10, 100})
	for name, frame := range map[string][]byte{"arp who-has": asking, "short": garp[:20], "empty": nil} {
		if e, ok := parseFrame(frame); ok {
			t.Errorf("%s: parseFrame = %v, want it ignored", name, e)
		}
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

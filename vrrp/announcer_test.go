package vrrp

import (
	"encoding/hex"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/ndp"
)

// The director and VIP of the captures.
var (
	capturedMAC  = net.HardwareAddr{0x02, 0x00, 0x0a, 0x0a, 0x0a, 0x1e}
	capturedVIP4 = netip.MustParseAddr("10.10.10.22")
	capturedVIP6 = netip.MustParseAddr("fe80::5:2")
)

func TestGARPMatchesKeepalived(t *testing.T) {
	request, reply, err := garpPackets(capturedMAC, capturedVIP4)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"keepalived-v2-garp.hex", "keepalived-v3-garp.hex"} {
		frame := readFrame(t, name)
		if diff := cmp.Diff(hex.EncodeToString(frame[14:]), hex.EncodeToString(request)); diff != "" {
			t.Errorf("ARP request vs %s (-keepalived +halvs):\n%s", name, diff)
		}
	}
	// The reply differs from the request only in the operation and the target hardware
	// address, which is the sender's own (RFC 2002 §4.6).
	want := "0001080006040002" + "02000a0a0a1e" + "0a0a0a16" + "02000a0a0a1e" + "0a0a0a16"
	if diff := cmp.Diff(want, hex.EncodeToString(reply)); diff != "" {
		t.Errorf("ARP reply (-want +got):\n%s", diff)
	}
}

func TestUnsolicitedNAMatchesKeepalived(t *testing.T) {
	na, err := unsolicitedNA(capturedMAC, capturedVIP6)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ndp.MarshalMessage(na)
	if err != nil {
		t.Fatal(err)
	}
	frame := readFrame(t, "keepalived-v3-ipv6-na.hex")
	want := append([]byte(nil), frame[14+40:]...)
	want[2], want[3] = 0, 0 // the kernel fills in the ICMPv6 checksum
	if diff := cmp.Diff(hex.EncodeToString(want), hex.EncodeToString(got)); diff != "" {
		t.Errorf("neighbour advertisement (-keepalived +halvs):\n%s", diff)
	}
}

func TestAnnounceBadInput(t *testing.T) {
	a := NewAnnouncer()
	defer a.Close()
	for _, tt := range []struct {
		name string
		dev  string
		addr netip.Addr
		want string
	}{
		{"no address", "lo", netip.Addr{}, "not a unicast"},
		{"multicast", "lo", netip.MustParseAddr("224.0.0.18"), "not a unicast"},
		{"missing interface", "hk-missing0", netip.MustParseAddr("10.0.0.1"), "hk-missing0"},
		{"no Ethernet address", "lo", netip.MustParseAddr("127.0.0.2"), "no Ethernet address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Announce(tt.dev, tt.addr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Announce = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
	a.Close()
	if err := a.Announce("lo", netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("Announce after Close succeeded")
	}
}

func TestGARPPacketsBadInput(t *testing.T) {
	if _, _, err := garpPackets(net.HardwareAddr{1, 2, 3}, capturedVIP4); err == nil {
		t.Error("short MAC accepted")
	}
	if _, _, err := garpPackets(capturedMAC, capturedVIP6); err == nil {
		t.Error("IPv6 address accepted for ARP")
	}
	if _, err := unsolicitedNA(capturedMAC, capturedVIP4); err == nil {
		t.Error("IPv4 address accepted for NA")
	}
}

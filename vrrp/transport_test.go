package vrrp

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var cmpAddr = cmpopts.EquateComparable(netip.Addr{})

// wireHeader is what a captured advert's Ethernet and IP headers say.
type wireHeader struct {
	DstMAC string
	Class  byte // IPv4 TOS or IPv6 traffic class
	DF     bool // IPv4 don't-fragment
	TTL    byte // TTL or hop limit
}

func TestDialTransportBadInput(t *testing.T) {
	tests := []struct {
		name   string
		ifname string
		family AddrFamily
		opts   TransportOptions
		want   string
	}{
		{"unknown family", "lo", AddrFamily(5), TransportOptions{}, "unknown address family"},
		{"IPv6 source for IPv4", "lo", FamilyIPv4, TransportOptions{Src: netip.MustParseAddr("fe80::1")}, "not a unicast IPv4"},
		{"IPv4 source for IPv6", "lo", FamilyIPv6, TransportOptions{Src: netip.MustParseAddr("10.0.0.1")}, "not a unicast IPv6"},
		{"multicast source", "lo", FamilyIPv4, TransportOptions{Src: netip.MustParseAddr("224.0.0.18")}, "not a unicast"},
		{"missing interface", "hk-missing0", FamilyIPv4, TransportOptions{}, "hk-missing0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := DialTransport(tt.ifname, tt.family, tt.opts)
			if err == nil {
				tr.Close()
				t.Fatal("DialTransport succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestTransportMulticastIPv4(t *testing.T) {
	_, br, h := newSegment(t, "10.77.0.1/24", "10.77.0.2/24")
	a, b := h[0], h[1]
	// A second interface of A on the same segment: its transport must see B's adverts once,
	// with its own index, and hk0's transport must not see them twice.
	a1 := br.Attach(a.ns, "hk1", nil, netip.MustParsePrefix("10.77.0.11/24"))

	ta := dialIn(t, a.ns, "hk0", FamilyIPv4, TransportOptions{})
	ta1 := dialIn(t, a.ns, "hk1", FamilyIPv4, TransportOptions{})
	tb := dialIn(t, b.ns, "hk0", FamilyIPv4, TransportOptions{})
	if got, want := ta.LocalAddr(), netip.MustParseAddr("10.77.0.1"); got != want {
		t.Errorf("LocalAddr = %s, want %s (the primary address)", got, want)
	}

	capture := captureOn(t, b.ns, "hk0")
	if err := ta.Send(MulticastIPv4, []byte("from A")); err != nil {
		t.Fatal(err)
	}
	frame := capture.next(t, "advert frame", func(f []byte) bool {
		return len(f) >= 34 && f[12] == 0x08 && f[13] == 0x00 && f[23] == Protocol
	})
	// keepalived's header (testdata/keepalived): TOS 0xc0, no DF, TTL 255; the group's MAC.
	wantHdr := wireHeader{DstMAC: "01:00:5e:00:00:12", Class: 0xc0, DF: false, TTL: 255}
	gotHdr := wireHeader{DstMAC: net.HardwareAddr(frame[:6]).String(), Class: frame[15], DF: frame[20]&0x40 != 0, TTL: frame[22]}
	if diff := cmp.Diff(wantHdr, gotHdr); diff != "" {
		t.Errorf("IPv4 header on the wire (-want +got):\n%s", diff)
	}
	want := Packet{Src: netip.MustParseAddr("10.77.0.1"), Dst: MulticastIPv4, HopLimit: 255, IfIndex: b.port.Index, Payload: []byte("from A")}
	if diff := cmp.Diff(want, receiveWithin(t, tb), cmpAddr); diff != "" {
		t.Errorf("B received (-want +got):\n%s", diff)
	}

	// B answers twice. A's next packet must be B's first: had loopback been on, A's own
	// advert would have been queued first (local delivery happens inside sendmsg).
	for _, m := range []string{"from B 1", "from B 2"} {
		if err := tb.Send(MulticastIPv4, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		tr  *RawTransport
		idx int
	}{{ta, a.port.Index}, {ta1, a1.Index}} {
		for _, m := range []string{"from B 1", "from B 2"} {
			want := Packet{Src: netip.MustParseAddr("10.77.0.2"), Dst: MulticastIPv4, HopLimit: 255, IfIndex: tc.idx, Payload: []byte(m)}
			if diff := cmp.Diff(want, receiveWithin(t, tc.tr), cmpAddr); diff != "" {
				t.Errorf("%s received (-want +got):\n%s", tc.tr.Interface().Name, diff)
			}
		}
	}
}

func TestTransportUnicastIPv4(t *testing.T) {
	_, _, h := newSegment(t, "10.77.0.1/24", "10.77.0.2/24")
	a, b := h[0], h[1]
	a.ns.AddAddr("hk0", netip.MustParsePrefix("10.77.0.21/24")) // secondary: unicast_src_ip
	src := netip.MustParseAddr("10.77.0.21")

	ta := dialIn(t, a.ns, "hk0", FamilyIPv4, TransportOptions{Unicast: true, Src: src})
	tam := dialIn(t, a.ns, "hk0", FamilyIPv4, TransportOptions{})
	tb := dialIn(t, b.ns, "hk0", FamilyIPv4, TransportOptions{Unicast: true})
	if got := ta.LocalAddr(); got != src {
		t.Errorf("LocalAddr = %s, want %s", got, src)
	}

	// A multicast advert must not reach B's unicast socket: B's first packet is the unicast one.
	if err := tam.Send(MulticastIPv4, []byte("multicast")); err != nil {
		t.Fatal(err)
	}
	if err := ta.Send(netip.MustParseAddr("10.77.0.2"), []byte("unicast")); err != nil {
		t.Fatal(err)
	}
	want := Packet{Src: src, Dst: netip.MustParseAddr("10.77.0.2"), HopLimit: 255, IfIndex: b.port.Index, Payload: []byte("unicast")}
	if diff := cmp.Diff(want, receiveWithin(t, tb), cmpAddr); diff != "" {
		t.Errorf("B received (-want +got):\n%s", diff)
	}
	if err := tb.Send(src, []byte("reply")); err != nil {
		t.Fatal(err)
	}
	want = Packet{Src: netip.MustParseAddr("10.77.0.2"), Dst: src, HopLimit: 255, IfIndex: a.port.Index, Payload: []byte("reply")}
	if diff := cmp.Diff(want, receiveWithin(t, ta), cmpAddr); diff != "" {
		t.Errorf("A received (-want +got):\n%s", diff)
	}
}

func TestTransportIPv6(t *testing.T) {
	_, _, h := newSegment(t, "fd00:77::1/64", "fd00:77::2/64")
	a, b := h[0], h[1]
	lla, llb := a.ns.LinkLocal("hk0"), b.ns.LinkLocal("hk0")

	ta := dialIn(t, a.ns, "hk0", FamilyIPv6, TransportOptions{})
	tb := dialIn(t, b.ns, "hk0", FamilyIPv6, TransportOptions{})
	if ta.LocalAddr() != lla {
		t.Errorf("LocalAddr = %s, want the link-local %s", ta.LocalAddr(), lla)
	}
	capture := captureOn(t, b.ns, "hk0")
	if err := ta.Send(MulticastIPv6, []byte("from A")); err != nil {
		t.Fatal(err)
	}
	frame := capture.next(t, "advert frame", func(f []byte) bool {
		return len(f) >= 54 && f[12] == 0x86 && f[13] == 0xdd && f[20] == Protocol
	})
	wantHdr := wireHeader{DstMAC: "33:33:00:00:00:12", Class: 0xc0, TTL: 255}
	gotHdr := wireHeader{DstMAC: net.HardwareAddr(frame[:6]).String(), Class: frame[14]<<4 | frame[15]>>4, TTL: frame[21]}
	if diff := cmp.Diff(wantHdr, gotHdr); diff != "" {
		t.Errorf("IPv6 header on the wire (-want +got):\n%s", diff)
	}
	want := Packet{Src: lla, Dst: MulticastIPv6, HopLimit: 255, IfIndex: b.port.Index, Payload: []byte("from A")}
	if diff := cmp.Diff(want, receiveWithin(t, tb), cmpAddr); diff != "" {
		t.Errorf("B received (-want +got):\n%s", diff)
	}
	if err := tb.Send(MulticastIPv6, []byte("from B")); err != nil {
		t.Fatal(err)
	}
	want = Packet{Src: llb, Dst: MulticastIPv6, HopLimit: 255, IfIndex: a.port.Index, Payload: []byte("from B")}
	if diff := cmp.Diff(want, receiveWithin(t, ta), cmpAddr); diff != "" {
		t.Errorf("A received (-want +got; its own advert first means loopback is on):\n%s", diff)
	}

	t.Run("OpenTransport", func(t *testing.T) {
		var tr Transport
		a.ns.MustDo(func() error {
			var err error
			tr, err = OpenTransport(TransportKey{Dev: "hk0", IPv6: true, Unicast: true, Src: lla})
			return err
		})
		defer tr.Close()
		if tr.LocalAddr() != lla {
			t.Errorf("LocalAddr = %s, want %s", tr.LocalAddr(), lla)
		}
		if _, err := OpenTransport(TransportKey{Dev: "hk-missing0"}); err == nil {
			t.Error("OpenTransport on a missing interface succeeded")
		}
	})

	t.Run("unicast", func(t *testing.T) {
		ua := dialIn(t, a.ns, "hk0", FamilyIPv6, TransportOptions{Unicast: true})
		ub := dialIn(t, b.ns, "hk0", FamilyIPv6, TransportOptions{Unicast: true, Src: llb})
		if err := ua.Send(llb, []byte("unicast")); err != nil {
			t.Fatal(err)
		}
		want := Packet{Src: lla, Dst: llb, HopLimit: 255, IfIndex: b.port.Index, Payload: []byte("unicast")}
		if diff := cmp.Diff(want, receiveWithin(t, ub), cmpAddr); diff != "" {
			t.Errorf("B received (-want +got):\n%s", diff)
		}
	})
}

func TestTransportCloseUnblocksReceive(t *testing.T) {
	_, _, h := newSegment(t, "10.77.0.1/24")
	for _, f := range []AddrFamily{FamilyIPv4, FamilyIPv6} {
		t.Run(f.String(), func(t *testing.T) {
			tr := dialIn(t, h[0].ns, "hk0", f, TransportOptions{})
			errc := make(chan error, 1)
			go func() {
				_, err := tr.Receive()
				errc <- err
			}()
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if err := <-errc; !errors.Is(err, net.ErrClosed) {
				t.Errorf("Receive after Close = %v, want net.ErrClosed", err)
			}
			if err := tr.Send(MulticastIPv4, nil); err == nil {
				t.Error("Send after Close succeeded")
			}
		})
	}
}

package vrrp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTransportUnicastTTL checks the TTL / hop limit that a peer receives: unicast_ttl for
// unicast adverts (255 when not set), and always 255 for multicast ones.
func TestTransportUnicastTTL(t *testing.T) {
	_, _, h := newSegment(t, "10.77.0.1/24", "10.77.0.2/24")
	a, b := h[0], h[1]
	a.ns.AddAddr("hk0", netip.MustParsePrefix("fd00:77::1/64"))
	b.ns.AddAddr("hk0", netip.MustParsePrefix("fd00:77::2/64"))
	lla, llb := a.ns.LinkLocal("hk0"), b.ns.LinkLocal("hk0")

	tests := []struct {
		name   string
		family AddrFamily
		opts   TransportOptions
		dst    netip.Addr
		want   int
	}{
		{name: "IPv4 unicast default", family: FamilyIPv4, opts: TransportOptions{Unicast: true}, dst: netip.MustParseAddr("10.77.0.2"), want: 255},
		{name: "IPv4 unicast_ttl", family: FamilyIPv4, opts: TransportOptions{Unicast: true, TTL: 64}, dst: netip.MustParseAddr("10.77.0.2"), want: 64},
		{name: "IPv4 multicast ignores it", family: FamilyIPv4, opts: TransportOptions{TTL: 64}, dst: MulticastIPv4, want: 255},
		{name: "IPv6 unicast_ttl", family: FamilyIPv6, opts: TransportOptions{Unicast: true, TTL: 3}, dst: llb, want: 3},
		{name: "IPv6 multicast ignores it", family: FamilyIPv6, opts: TransportOptions{TTL: 3}, dst: MulticastIPv6, want: 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rxOpts := TransportOptions{Unicast: tt.opts.Unicast}
			src := netip.MustParseAddr("10.77.0.1")
			if tt.family == FamilyIPv6 {
				src = lla
			}
			tx := dialIn(t, a.ns, "hk0", tt.family, tt.opts)
			rx := dialIn(t, b.ns, "hk0", tt.family, rxOpts)
			if err := tx.Send(tt.dst, []byte(tt.name)); err != nil {
				t.Fatal(err)
			}
			want := Packet{Src: src, Dst: tt.dst, HopLimit: tt.want, IfIndex: b.port.Index, Payload: []byte(tt.name)}
			if diff := cmp.Diff(want, receiveWithin(t, rx), cmpAddr); diff != "" {
				t.Errorf("received (-want +got):\n%s", diff)
			}
		})
	}
}

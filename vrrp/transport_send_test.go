package vrrp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// RawTransport.Send allocates nothing: it is the one step of a master's advert cycle that
// leaves the instance loop (see advert_alloc_test.go).
func TestRawTransportSendAllocatesNothing(t *testing.T) {
	tests := []struct {
		name   string
		addrs  []string
		family AddrFamily
		dst    func(b labHost) netip.Addr
	}{
		{name: "IPv4 multicast", addrs: []string{"10.78.0.1/24", "10.78.0.2/24"}, family: FamilyIPv4,
			dst: func(labHost) netip.Addr { return MulticastIPv4 }},
		{name: "IPv6 link-local unicast", addrs: []string{"fd00:78::1/64", "fd00:78::2/64"}, family: FamilyIPv6,
			dst: func(b labHost) netip.Addr { return b.ns.LinkLocal("hk0") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, h := newSegment(t, tc.addrs...)
			a, b := h[0], h[1]
			unicast := !tc.dst(b).IsMulticast()
			ta := dialIn(t, a.ns, "hk0", tc.family, TransportOptions{Unicast: unicast})
			tb := dialIn(t, b.ns, "hk0", tc.family, TransportOptions{Unicast: unicast})
			dst, msg := tc.dst(b), []byte("advert")
			got := testing.AllocsPerRun(20, func() {
				if err := ta.Send(dst, msg); err != nil {
					t.Fatal(err)
				}
			})
			if got != 0 {
				t.Errorf("%v allocations per Send, want 0", got)
			}
			want := Packet{Src: ta.LocalAddr(), Dst: dst, HopLimit: 255, IfIndex: b.port.Index, Payload: msg}
			if diff := cmp.Diff(want, receiveWithin(t, tb), cmpAddr); diff != "" {
				t.Errorf("B received (-want +got):\n%s", diff)
			}
		})
	}
}

package vrrp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTransportMcastGroup: a Transport with vrrp_mcast_group4 sends to and receives on that
// group only; one on the standard group does not see its adverts.
func TestTransportMcastGroup(t *testing.T) {
	_, _, h := newSegment(t, "10.77.0.1/24", "10.77.0.2/24")
	a, b := h[0], h[1]
	group := netip.MustParseAddr("224.0.0.19")
	ta := dialIn(t, a.ns, "hk0", FamilyIPv4, TransportOptions{Group: group})
	tb := dialIn(t, b.ns, "hk0", FamilyIPv4, TransportOptions{Group: group})
	tbStd := dialIn(t, b.ns, "hk0", FamilyIPv4, TransportOptions{})
	taStd := dialIn(t, a.ns, "hk0", FamilyIPv4, TransportOptions{})

	if err := ta.Send(group, []byte("to 19")); err != nil {
		t.Fatal(err)
	}
	if err := taStd.Send(MulticastIPv4, []byte("to 18")); err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddr("10.77.0.1")
	want := Packet{Src: src, Dst: group, HopLimit: 255, IfIndex: b.port.Index, Payload: []byte("to 19")}
	if diff := cmp.Diff(want, receiveWithin(t, tb), cmpAddr); diff != "" {
		t.Errorf("group transport received (-want +got):\n%s", diff)
	}
	// Sent after the group's advert: had the standard transport received that one, it
	// would come first.
	want = Packet{Src: src, Dst: MulticastIPv4, HopLimit: 255, IfIndex: b.port.Index, Payload: []byte("to 18")}
	if diff := cmp.Diff(want, receiveWithin(t, tbStd), cmpAddr); diff != "" {
		t.Errorf("standard transport received (-want +got):\n%s", diff)
	}
}

func TestDialTransportBadGroup(t *testing.T) {
	for _, g := range []string{"10.0.0.1", "ff02::12"} {
		if _, err := DialTransport("lo", FamilyIPv4, TransportOptions{Group: netip.MustParseAddr(g)}); err == nil {
			t.Errorf("group %s: DialTransport succeeded, want an error", g)
		}
	}
}

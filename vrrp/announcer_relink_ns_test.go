package vrrp

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestAnnouncerAfterLinkFlap opens the announcer's socket, takes the link down and up again,
// and announces: the first gratuitous ARP after the link comes back must reach the wire and
// Announce must not fail, although the socket opened before the flap reports the link going
// down ("network is down") on its next send.
func TestAnnouncerAfterLinkFlap(t *testing.T) {
	_, _, hosts := newSegment(t, "10.77.0.1/24", "10.77.0.2/24")
	dir, peer := hosts[0], hosts[1]
	vip := netip.MustParseAddr("10.77.0.100")
	ann := NewAnnouncer()
	t.Cleanup(func() { ann.Close() })
	dir.ns.MustDo(func() error { return ann.Announce("hk0", vip) })

	link, err := dir.ns.Handle.LinkByName("hk0")
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.ns.Handle.LinkSetDown(link); err != nil {
		t.Fatal(err)
	}
	if err := dir.ns.Handle.LinkSetUp(link); err != nil {
		t.Fatal(err)
	}
	eventually(t, "hk0 operationally up", func() (bool, string) {
		l, err := dir.ns.Handle.LinkByName("hk0")
		if err != nil {
			return false, err.Error()
		}
		return l.Attrs().OperState == netlink.OperUp, l.Attrs().OperState.String()
	})

	capture := captureOn(t, peer.ns, "hk0")
	if err := dir.ns.Do(func() error { return ann.Announce("hk0", vip) }); err != nil {
		t.Fatalf("first announcement after the link came back: %v", err)
	}
	capture.next(t, "GARP after the link came back", func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == unix.ETH_P_ARP && bytes.Equal(f[28:32], vip.AsSlice())
	})
}

package vrrp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/internal/netnstest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestAnnouncerOnTheWire rebuilds the captures' segment (director 10.10.10.30 with MAC
// 02:00:0a:0a:0a:1e, client 10.10.10.100), announces the same VIPs and checks what the client
// sees: keepalived's frames, byte for byte where the kernel lets them be, and the client's
// neighbour table moved to the director's MAC.
func TestAnnouncerOnTheWire(t *testing.T) {
	lab := netnstest.New(t, "hk")
	br := lab.NewBridge()
	dir, client := lab.NewNS("dir"), lab.NewNS("cli")
	br.Attach(dir, "hk0", capturedMAC, netip.MustParsePrefix("10.10.10.30/24"))
	cport := br.Attach(client, "hk0", net.HardwareAddr{2, 0, 0x0a, 0x0a, 0x0a, 0x64}, netip.MustParsePrefix("10.10.10.100/24"))

	vip4, fresh4, vip6 := capturedVIP4, netip.MustParseAddr("10.10.10.23"), capturedVIP6
	ad := NewAddresserWithHandle(dir.Handle)
	for _, p := range []netip.Prefix{netip.PrefixFrom(vip4, 32), netip.PrefixFrom(fresh4, 32), netip.PrefixFrom(vip6, 128)} {
		if err := ad.AddVIP(VIP{Prefix: p, Dev: "hk0"}); err != nil {
			t.Fatal(err)
		}
	}

	// The client last saw the VIPs at the old master's MAC, as after a failover.
	oldMAC := net.HardwareAddr{2, 0, 0x0a, 0x0a, 0x0a, 0x99}
	for _, ip := range []netip.Addr{vip4, vip6} {
		n := &netlink.Neigh{LinkIndex: cport.Index, IP: ip.AsSlice(), HardwareAddr: oldMAC, State: netlink.NUD_STALE}
		if err := client.Handle.NeighAdd(n); err != nil {
			t.Fatalf("client neighbour %s: %v", ip, err)
		}
	}
	// Linux updates an existing entry from a gratuitous ARP whatever arp_accept says, but
	// creates an entry for an address it has never resolved only with arp_accept=1 (by
	// default it ignores unsolicited ARP, RFC 826's "merge" rule). fresh4 checks that creation,
	// which real clients that already talk to the VIP do not need.
	for _, k := range []string{"net/ipv4/conf/all/arp_accept", "net/ipv4/conf/hk0/arp_accept"} {
		if err := client.WriteSysctl(k, "1"); err != nil {
			t.Fatal(err)
		}
	}

	capture := captureOn(t, client, "hk0")
	ann := NewAnnouncer()
	t.Cleanup(func() { ann.Close() })
	dir.MustDo(func() error {
		for _, a := range []netip.Addr{vip4, fresh4, vip6} {
			if err := ann.Announce("hk0", a); err != nil {
				return err
			}
		}
		return nil
	})

	isARP := func(op uint16, ip netip.Addr) func([]byte) bool {
		return func(f []byte) bool {
			return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == unix.ETH_P_ARP &&
				binary.BigEndian.Uint16(f[20:]) == op && bytes.Equal(f[28:32], ip.AsSlice())
		}
	}
	request := capture.next(t, "GARP request", isARP(1, vip4))
	if diff := cmp.Diff(hex.EncodeToString(readFrame(t, "keepalived-v2-garp.hex")), hex.EncodeToString(request)); diff != "" {
		t.Errorf("GARP request frame (-keepalived +halvs):\n%s", diff)
	}
	reply := capture.next(t, "GARP reply", isARP(2, vip4))
	want := "ffffffffffff02000a0a0a1e0806" + "0001080006040002" + "02000a0a0a1e0a0a0a16" + "02000a0a0a1e0a0a0a16"
	if diff := cmp.Diff(want, hex.EncodeToString(reply)); diff != "" {
		t.Errorf("GARP reply frame (-want +got):\n%s", diff)
	}
	capture.next(t, "GARP request for "+fresh4.String(), isARP(1, fresh4))

	na := capture.next(t, "neighbour advertisement", func(f []byte) bool {
		return len(f) >= 78 && binary.BigEndian.Uint16(f[12:]) == unix.ETH_P_IPV6 && f[20] == unix.IPPROTO_ICMPV6 &&
			f[54] == 136 && bytes.Equal(f[62:78], vip6.AsSlice())
	})
	// The flow label is the sender's choice (the README of the captures says so): compare
	// everything else, checksum included.
	wantNA := readFrame(t, "keepalived-v3-ipv6-na.hex")
	for _, f := range [][]byte{wantNA, na} {
		f[15] &^= 0x0f
		f[16], f[17] = 0, 0
	}
	if diff := cmp.Diff(hex.EncodeToString(wantNA), hex.EncodeToString(na)); diff != "" {
		t.Errorf("neighbour advertisement frame, flow label masked (-keepalived +halvs):\n%s", diff)
	}

	for _, ip := range []netip.Addr{vip4, fresh4, vip6} {
		eventually(t, "client neighbour entry for "+ip.String(), func() (bool, string) {
			mac := neighMAC(t, client.Handle, cport.Index, ip)
			return bytes.Equal(mac, capturedMAC), "at " + mac.String()
		})
	}
}

func neighMAC(t *testing.T, h *netlink.Handle, index int, ip netip.Addr) net.HardwareAddr {
	t.Helper()
	family := netlink.FAMILY_V4
	if ip.Is6() {
		family = netlink.FAMILY_V6
	}
	neighs, err := h.NeighList(index, family)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range neighs {
		if got, _ := netip.AddrFromSlice(n.IP); got.Unmap() == ip {
			return n.HardwareAddr
		}
	}
	return nil
}

// TestAnnouncerFollowsTheLink prepares on a link, then replaces the link by one with the
// same name and another MAC (a new index): the next announcement must go out on the new
// link with the new MAC, as it must after a MAC change alone.
func TestAnnouncerFollowsTheLink(t *testing.T) {
	lab := netnstest.New(t, "hk")
	ns := lab.NewNS("ann")
	addDummy := func(mac net.HardwareAddr) netlink.Link {
		t.Helper()
		// A veth pair (the host may lack the dummy driver); deleting hkd0 deletes both.
		l := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "hkd0", HardwareAddr: mac}, PeerName: "hkd1"}
		if err := ns.Handle.LinkAdd(l); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"hkd0", "hkd1"} {
			if l, err := ns.Handle.LinkByName(name); err != nil {
				t.Fatal(err)
			} else if err := ns.Handle.LinkSetUp(l); err != nil {
				t.Fatal(err)
			}
		}
		got, err := ns.Handle.LinkByName("hkd0")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first, second, third := net.HardwareAddr{2, 0, 0, 0, 0xd0, 1}, net.HardwareAddr{2, 0, 0, 0, 0xd0, 2}, net.HardwareAddr{2, 0, 0, 0, 0xd0, 3}
	link := addDummy(first)
	vip := netip.MustParseAddr("10.78.0.1")
	ann := NewAnnouncer()
	t.Cleanup(func() { ann.Close() })
	ns.MustDo(func() error { return ann.Prepare("hkd0", vip) })
	st := ann.ifaces["hkd0"]
	if st == nil || st.arp == nil || st.ndp != nil || st.index != link.Attrs().Index {
		t.Fatalf("after Prepare(IPv4): entry %+v, want only an ARP socket, bound to index %d", st, link.Attrs().Index)
	}
	ns.MustDo(func() error { return ann.Prepare("hkd0", netip.MustParseAddr("fd00::1")) })
	if st.ndp == nil {
		t.Fatal("after Prepare(IPv6): no ICMPv6 socket")
	}
	if err := ann.Prepare("hk-missing0", vip); err == nil {
		t.Error("Prepare on a missing interface succeeded")
	}

	if err := ns.Handle.LinkDel(link); err != nil {
		t.Fatal(err)
	}
	link = addDummy(second)
	sender := func(f []byte) net.HardwareAddr { return net.HardwareAddr(f[22:28]) } // ARP sender MAC
	isGARP := func(f []byte) bool {
		return len(f) >= 42 && binary.BigEndian.Uint16(f[12:]) == unix.ETH_P_ARP && bytes.Equal(f[28:32], vip.AsSlice())
	}
	capture := captureOn(t, ns, "hkd0")
	ns.MustDo(func() error { return ann.Announce("hkd0", vip) })
	if got := sender(capture.next(t, "GARP on the new link", isGARP)); !bytes.Equal(got, second) {
		t.Errorf("GARP sender MAC = %s, want the new link's %s", got, second)
	}
	if st.index != link.Attrs().Index {
		t.Errorf("socket bound to index %d, want the new link's %d", st.index, link.Attrs().Index)
	}

	if err := ns.Handle.LinkSetHardwareAddr(link, third); err != nil {
		t.Fatal(err)
	}
	capture = captureOn(t, ns, "hkd0")
	ns.MustDo(func() error { return ann.Announce("hkd0", vip) })
	if got := sender(capture.next(t, "GARP after the MAC change", isGARP)); !bytes.Equal(got, third) {
		t.Errorf("GARP sender MAC = %s, want the changed %s", got, third)
	}
}

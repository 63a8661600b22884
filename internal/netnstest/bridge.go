package netnstest

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Bridge is a Linux bridge alone in its own namespace: the "switch" that the test's
// namespaces plug into with veth links.
type Bridge struct {
	NS   *NS
	Name string // the bridge device's name inside NS: PREFIXbr

	lab  *Lab
	link netlink.Link
}

// NewBridge creates namespace PREFIX-br-PID holding the bridge PREFIXbr, up, with STP off (ports
// forward at once) and multicast snooping off (VRRP and NDP multicast reach every port without
// an IGMP/MLD querier on the segment).
func (l *Lab) NewBridge() *Bridge {
	t := l.t
	t.Helper()
	ns := l.NewNS("br")
	off := false
	br := &netlink.Bridge{
		LinkAttrs:         netlink.LinkAttrs{Name: l.prefix + "br"},
		MulticastSnooping: &off,
	}
	if err := ns.Handle.LinkAdd(br); err != nil {
		t.Fatalf("netnstest: add bridge %s in %s: %v", br.Name, ns.Name, err)
	}
	link, err := ns.Handle.LinkByName(br.Name)
	if err == nil {
		err = ns.Handle.LinkSetUp(link)
	}
	if err != nil {
		t.Fatalf("netnstest: bridge %s up: %v", br.Name, err)
	}
	return &Bridge{NS: ns, Name: br.Name, lab: l, link: link}
}

// Port is one end of a veth link, inside a test namespace, whose other end is a bridge port.
type Port struct {
	NS     *NS
	Name   string // interface name inside NS
	Index  int    // interface index inside NS
	MAC    net.HardwareAddr
	Bridge string // name of the veth end on the bridge (inside the bridge's namespace)
}

// Attach creates a veth pair: one end a port of the bridge, the other named ifname inside ns,
// with hardware address mac (nil: the kernel picks one) and the given addresses, both ends up.
// ifname must start with the lab's prefix and fit IFNAMSIZ (15 bytes).
func (b *Bridge) Attach(ns *NS, ifname string, mac net.HardwareAddr, addrs ...netip.Prefix) *Port {
	t := b.lab.t
	t.Helper()
	if len(ifname) > 15 || len(ifname) <= len(b.lab.prefix) || ifname[:len(b.lab.prefix)] != b.lab.prefix {
		t.Fatalf("netnstest: interface name %q must start with %q and be at most 15 bytes", ifname, b.lab.prefix)
	}
	brSide := fmt.Sprintf("%sp%d", b.lab.prefix, b.lab.links.Add(1))
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: brSide, MasterIndex: b.link.Attrs().Index},
		PeerName:         ifname,
		PeerHardwareAddr: mac,
		PeerNamespace:    netlink.NsFd(int(ns.ns)),
	}
	if err := b.NS.Handle.LinkAdd(veth); err != nil {
		t.Fatalf("netnstest: add veth %s/%s: %v", brSide, ifname, err)
	}
	bl, err := b.NS.Handle.LinkByName(brSide)
	if err == nil {
		err = b.NS.Handle.LinkSetUp(bl)
	}
	if err != nil {
		t.Fatalf("netnstest: bridge port %s up: %v", brSide, err)
	}
	link, err := ns.Handle.LinkByName(ifname)
	if err != nil {
		t.Fatalf("netnstest: %s in %s: %v", ifname, ns.Name, err)
	}
	for _, p := range addrs {
		ns.AddAddr(ifname, p)
	}
	if err := ns.Handle.LinkSetUp(link); err != nil {
		t.Fatalf("netnstest: %s up in %s: %v", ifname, ns.Name, err)
	}
	ns.WaitReady(ifname)
	return &Port{NS: ns, Name: ifname, Index: link.Attrs().Index, MAC: link.Attrs().HardwareAddr, Bridge: brSide}
}

// AddAddr adds p to interface ifname inside the namespace, failing the test on error.
func (n *NS) AddAddr(ifname string, p netip.Prefix) {
	n.t.Helper()
	link, err := n.Handle.LinkByName(ifname)
	if err != nil {
		n.t.Fatalf("netnstest: %s in %s: %v", ifname, n.Name, err)
	}
	a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
	if err := n.Handle.AddrAdd(link, a); err != nil {
		n.t.Fatalf("netnstest: add %s to %s in %s: %v", p, ifname, n.Name, err)
	}
}

// SetLinkUp sets interface ifname inside the namespace administratively up or down.
func (n *NS) SetLinkUp(ifname string, up bool) {
	n.t.Helper()
	link, err := n.Handle.LinkByName(ifname)
	if err == nil {
		if up {
			err = n.Handle.LinkSetUp(link)
		} else {
			err = n.Handle.LinkSetDown(link)
		}
	}
	if err != nil {
		n.t.Fatalf("netnstest: set %s up=%v in %s: %v", ifname, up, n.Name, err)
	}
}

// WaitReady waits (up to 10 s) until ifname is operationally up and has its IPv6 link-local
// address (unless IPv6 is off on it). The kernel reports carrier and adds the link-local
// address asynchronously (through linkwatch) after a link is set up, so a test that opens
// sockets at once would race with it.
func (n *NS) WaitReady(ifname string) {
	n.t.Helper()
	v6off, err := n.ReadSysctl("net/ipv6/conf/" + ifname + "/disable_ipv6")
	wantLL := err == nil && v6off == "0"
	deadline := time.Now().Add(10 * time.Second)
	for {
		link, err := n.Handle.LinkByName(ifname)
		if err != nil {
			n.t.Fatalf("netnstest: %s in %s: %v", ifname, n.Name, err)
		}
		if link.Attrs().OperState == netlink.OperUp && (!wantLL || n.linkLocal(link).IsValid()) {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("netnstest: %s in %s not up with a link-local address after 10s (oper state %s)",
				ifname, n.Name, link.Attrs().OperState)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (n *NS) linkLocal(link netlink.Link) netip.Addr {
	addrs, err := n.Handle.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		n.t.Fatalf("netnstest: addresses of %s in %s: %v", link.Attrs().Name, n.Name, err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
			return ip
		}
	}
	return netip.Addr{}
}

// LinkLocal returns the IPv6 link-local address of ifname inside the namespace.
func (n *NS) LinkLocal(ifname string) netip.Addr {
	n.t.Helper()
	link, err := n.Handle.LinkByName(ifname)
	if err != nil {
		n.t.Fatalf("netnstest: %s in %s: %v", ifname, n.Name, err)
	}
	if ip := n.linkLocal(link); ip.IsValid() {
		return ip
	}
	n.t.Fatalf("netnstest: %s in %s has no IPv6 link-local address", ifname, n.Name)
	return netip.Addr{}
}

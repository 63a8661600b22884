//go:build integration

package integration

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/halvs/halvs/internal/netnstest"
	"github.com/vishvananda/netlink"
)

// Prefix starts the name of every namespace and link this package creates.
const Prefix = "hi"

// IfName is the directors' interface name inside their namespaces: the one the reference
// configurations (examples/seed) name, so they run unchanged.
const IfName = "eth0"

// Node is one host of the reference scenario: a namespace with one interface on the bridge.
type Node struct {
	Name  string // "A", "B" or "client"
	NS    *netnstest.NS
	If    string           // interface name inside NS
	MAC   net.HardwareAddr // fixed, so that logs and neighbour entries are easy to read
	Addr4 netip.Addr       // primary IPv4 address (/24)
	Addr6 netip.Addr       // ULA (/64); the interface also has its link-local address
	LL6   netip.Addr       // IPv6 link-local address
}

// Lab is the reference scenario on the host: directors A and B and a client on one bridge
// that lives in a namespace of its own. All names start with Prefix.
type Lab struct {
	t      testing.TB
	lab    *netnstest.Lab
	Bridge *netnstest.Bridge
	A, B   *Node
	Client *Node
}

// The reference addresses (examples/seed): VIP 10.10.10.22 on director A (.30) or B (.29).
var (
	VIP4    = netip.MustParseAddr("10.10.10.22")
	VIP6    = netip.MustParseAddr("fd00:10:10:10::22")
	addrA4  = netip.MustParseAddr("10.10.10.30")
	addrB4  = netip.MustParseAddr("10.10.10.29")
	addrC4  = netip.MustParseAddr("10.10.10.100")
	addrA6  = netip.MustParseAddr("fd00:10:10:10::30")
	addrB6  = netip.MustParseAddr("fd00:10:10:10::29")
	addrC6  = netip.MustParseAddr("fd00:10:10:10::100")
	macA    = net.HardwareAddr{0x02, 0, 0x0a, 0x0a, 0x0a, 0x1e}
	macB    = net.HardwareAddr{0x02, 0, 0x0a, 0x0a, 0x0a, 0x1d}
	macC    = net.HardwareAddr{0x02, 0, 0x0a, 0x0a, 0x0a, 0x64}
	prefix4 = 24
	prefix6 = 64
)

// NewLab builds the reference scenario. It skips the test when not root (netnstest does),
// and everything it makes is removed by t.Cleanup, also when the test fails.
//
// The client accepts gratuitous ARP into its neighbour table (arp_accept=1), as a router
// on the segment of a real director pair is usually configured, so that the neighbour entry
// for the VIP shows which director's MAC the last announcement named.
func NewLab(t testing.TB) *Lab {
	t.Helper()
	nl := netnstest.New(t, Prefix)
	l := &Lab{t: t, lab: nl, Bridge: nl.NewBridge()}
	l.A = l.node("A", "a", IfName, macA, addrA4, addrA6)
	l.B = l.node("B", "b", IfName, macB, addrB4, addrB6)
	l.Client = l.node("client", "c", Prefix+"0", macC, addrC4, addrC6)
	for _, key := range []string{"net/ipv4/conf/all/arp_accept", "net/ipv4/conf/" + l.Client.If + "/arp_accept"} {
		if err := l.Client.NS.WriteSysctl(key, "1"); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// node makes namespace short, plugs it into the bridge and names its interface ifname.
// netnstest names interfaces with the lab prefix; a director's is renamed to eth0 inside its
// own namespace (the name is private to that namespace).
func (l *Lab) node(name, short, ifname string, mac net.HardwareAddr, a4, a6 netip.Addr) *Node {
	t := l.t
	t.Helper()
	ns := l.lab.NewNS(short)
	port := l.Bridge.Attach(ns, Prefix+"0", mac)
	link, err := ns.Handle.LinkByIndex(port.Index)
	if err != nil {
		t.Fatalf("lab: %s: %v", name, err)
	}
	if ifname != port.Name {
		if err := ns.Handle.LinkSetDown(link); err != nil {
			t.Fatalf("lab: %s down: %v", port.Name, err)
		}
		if err := ns.Handle.LinkSetName(link, ifname); err != nil {
			t.Fatalf("lab: rename %s to %s in %s: %v", port.Name, ifname, ns.Name, err)
		}
	}
	ns.AddAddr(ifname, netip.PrefixFrom(a4, prefix4))
	ns.AddAddr(ifname, netip.PrefixFrom(a6, prefix6))
	ns.SetLinkUp(ifname, true)
	// The kernel adds the link-local address asynchronously once the link is up.
	ns.WaitReady(ifname)
	return &Node{Name: name, NS: ns, If: ifname, MAC: mac, Addr4: a4, Addr6: a6, LL6: ns.LinkLocal(ifname)}
}

// Directors returns A and B.
func (l *Lab) Directors() []*Node { return []*Node{l.A, l.B} }

// Other returns the director that is not n.
func (l *Lab) Other(n *Node) *Node {
	if n == l.A {
		return l.B
	}
	return l.A
}

// Addrs lists the addresses on the node's interface, read from the kernel.
func (n *Node) Addrs() []netip.Prefix {
	link, err := n.NS.Handle.LinkByName(n.If)
	if err != nil {
		return nil
	}
	list, err := n.NS.Handle.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, a := range list {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ones, _ := a.Mask.Size()
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return out
}

// HasAddr reports whether the node's interface holds addr now.
func (n *Node) HasAddr(addr netip.Addr) bool {
	for _, p := range n.Addrs() {
		if p.Addr() == addr {
			return true
		}
	}
	return false
}

// SetLink sets the node's interface administratively up or down.
func (n *Node) SetLink(up bool) { n.NS.SetLinkUp(n.If, up) }

// Holders returns the directors whose interface holds addr now.
func (l *Lab) Holders(addr netip.Addr) []string {
	var out []string
	for _, n := range l.Directors() {
		if n.HasAddr(addr) {
			out = append(out, n.Name)
		}
	}
	return out
}

// Neighbour returns the MAC the client's neighbour table holds for addr (nil when it has no
// usable entry) and the entry's state as ip neigh prints it.
func (l *Lab) Neighbour(addr netip.Addr) (net.HardwareAddr, string) {
	c := l.Client
	link, err := c.NS.Handle.LinkByName(c.If)
	if err != nil {
		l.t.Fatalf("lab: %v", err)
	}
	family := netlink.FAMILY_V4
	if addr.Is6() {
		family = netlink.FAMILY_V6
	}
	list, err := c.NS.Handle.NeighList(link.Attrs().Index, family)
	if err != nil {
		l.t.Fatalf("lab: neighbours of %s: %v", c.If, err)
	}
	for _, nb := range list {
		if ip, ok := netip.AddrFromSlice(nb.IP); ok && ip.Unmap() == addr && len(nb.HardwareAddr) == 6 {
			return nb.HardwareAddr, neighState(nb.State)
		}
	}
	return nil, "none"
}

func neighState(s int) string {
	var names []string
	for _, st := range []struct {
		bit  int
		name string
	}{{netlink.NUD_INCOMPLETE, "INCOMPLETE"}, {netlink.NUD_REACHABLE, "REACHABLE"}, {netlink.NUD_STALE, "STALE"},
		{netlink.NUD_DELAY, "DELAY"}, {netlink.NUD_PROBE, "PROBE"}, {netlink.NUD_FAILED, "FAILED"},
		{netlink.NUD_NOARP, "NOARP"}, {netlink.NUD_PERMANENT, "PERMANENT"}} {
		if s&st.bit != 0 {
			names = append(names, st.name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("state(%#x)", s)
	}
	return strings.Join(names, ",")
}

// Touch sends one UDP datagram from the client to addr (port 9, discard), which makes the
// client resolve addr and so creates its neighbour entry. IPv6 needs this: an unsolicited
// neighbour advertisement only updates an entry that exists.
func (l *Lab) Touch(addr netip.Addr) {
	l.t.Helper()
	l.Client.NS.MustDo(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 9)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, _ = c.Write([]byte("halvs"))
		return nil
	})
}

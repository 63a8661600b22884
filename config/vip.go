package config

import (
	"fmt"
	"net/netip"
)

// vipTakeover is the virtual_ipaddress option that lets halvs take over an address the host
// already holds at start (see docs/config.md); without it that is an error at start.
const vipTakeover = "takeover"

// CheckVIPAddress refuses an address that cannot be a virtual address: one halvs would take
// from the host (loopback), one no host may hold (multicast, broadcast, unspecified, a /0
// prefix), or one the kernel manages itself (IPv4 link-local). IPv6 link-local is allowed:
// RFC 5798 wants one as an IPv6 instance's first VIP. The error says why, naming the address.
// halvs convert uses it too, so that a keepalived.conf with such an address is reported.
func CheckVIPAddress(p netip.Prefix) error {
	a := p.Addr()
	switch {
	case a.Is4In6():
		return fmt.Errorf("%s is an IPv4-mapped IPv6 address; write the IPv4 address %s", a, a.Unmap())
	case a.IsUnspecified():
		return fmt.Errorf("%s is the unspecified address, which no interface can hold", a)
	case p.Bits() == 0:
		return fmt.Errorf("%s has prefix length 0, which would make every address on-link; give the subnet's length (or none, for /%d)", p, a.BitLen())
	case a.IsLoopback():
		return fmt.Errorf("%s is a loopback address: it belongs to the host, and halvs would add and remove it as a VIP", a)
	case a.IsMulticast():
		return fmt.Errorf("%s is a multicast address; a VIP must be unicast", a)
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%s is the IPv4 broadcast address; a VIP must be unicast", a)
	case a.Is4() && a.IsLinkLocalUnicast():
		return fmt.Errorf("%s is an IPv4 link-local address (169.254.0.0/16), which the host assigns itself; use a routable address", a)
	case a.Is4() && p.Bits() < 31 && a == lastAddr(p):
		return fmt.Errorf("%s is the broadcast address of %s; use a host address of the subnet", a, p.Masked())
	}
	return nil
}

// lastAddr is the highest address of p's subnet: its IPv4 broadcast address.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	for i := range 4 {
		b[i] |= byte(host >> (8 * (3 - i)))
	}
	return netip.AddrFrom4(b)
}

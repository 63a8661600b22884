package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
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

// parseVIP parses a virtual_ipaddress entry (see VIP) as keepalived's alloc_ipaddress
// reads it.
func parseVIP(s string) (VIP, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return VIP{}, errors.New("empty address; write e.g. \"10.10.10.22/24 dev eth0\"")
	}
	var v VIP
	var err error
	if v.Prefix, err = parsePrefixOrAddr(f[0]); err != nil {
		return VIP{}, err
	}
	v4 := v.Prefix.Addr().Is4()
	brd, peerBits := "", -1
	for i := 1; i < len(f); i++ {
		opt := f[i]
		switch opt {
		case "no_track":
			continue // accepted for keepalived's sake; vips warns that it does nothing
		case vipTakeover:
			v.Takeover = true
			continue
		case "-nodad":
			v.DAD = true
			continue
		case "nodad":
			continue // the default: VRRP's election is the duplicate detection
		case "noprefixroute":
			v.NoPrefixRoute = true
			continue
		case "home":
			v.Home = true
			continue
		case "mngtmpaddr":
			v.MngTmpAddr = true
			continue
		case "autojoin":
			v.AutoJoin = true
			continue
		case "use_vmac":
			return VIP{}, errors.New("use_vmac is not supported by halvs yet: the VIP would not move to a virtual MAC interface")
		case "track_group":
			return VIP{}, errors.New("track groups are not supported by halvs")
		}
		if !contains(vipValueOptions, opt) {
			return VIP{}, fmt.Errorf("unknown option %q after the address%s; halvs understands %s and the flags no_track, takeover, -nodad, noprefixroute, home, mngtmpaddr, autojoin",
				opt, suggestValue(opt, append(slices.Clone(vipValueOptions), "no_track", "takeover", "-nodad", "noprefixroute", "home", "mngtmpaddr", "autojoin")),
				strings.Join(vipValueOptions, ", "))
		}
		if i+1 >= len(f) {
			return VIP{}, fmt.Errorf("%s needs a value", opt)
		}
		i++
		val := f[i]
		switch opt {
		case "brd", "broadcast":
			if !v4 {
				return VIP{}, errors.New("brd applies to IPv4 addresses only")
			}
			brd = val
		case "dev":
			if err := checkIfName(val); err != nil {
				return VIP{}, fmt.Errorf("dev: %v", err)
			}
			v.Dev = val
		case "scope":
			if !contains([]string{"global", "site", "link", "host", "nowhere"}, val) {
				return VIP{}, fmt.Errorf("scope %q is not one of global, site, link, host, nowhere", val)
			}
			if val != "global" {
				v.Scope = val
			}
		case "label":
			if len(val) > maxIfName {
				return VIP{}, fmt.Errorf("label %q is %d characters; the kernel allows %d", val, len(val), maxIfName)
			}
			v.Label = val
		case "peer":
			if v.Peer.IsValid() {
				return VIP{}, errors.New("peer is given twice")
			}
			p, err := parsePrefixOrAddr(val)
			if err != nil || p.Addr().Is4() != v4 {
				return VIP{}, fmt.Errorf("peer %q is not an address of the VIP's family", val)
			}
			if v.Prefix.Bits() != v.Prefix.Addr().BitLen() {
				return VIP{}, fmt.Errorf("peer: the address takes the peer's prefix length; write %s without /%d", v.Prefix.Addr(), v.Prefix.Bits())
			}
			v.Peer, peerBits = p.Addr(), p.Bits()
		case "preferred_lft":
			if val == "forever" {
				v.PreferredLft = 1<<32 - 1
			} else {
				n, err := strconv.ParseUint(val, 10, 32)
				if err != nil {
					return VIP{}, fmt.Errorf("preferred_lft %q is not a number of seconds or forever", val)
				}
				v.PreferredLft = uint32(n)
			}
			v.HasPreferredLft = true
		}
	}
	if peerBits >= 0 {
		v.Prefix = netip.PrefixFrom(v.Prefix.Addr(), peerBits)
	}
	if brd != "" {
		if v.Peer.IsValid() {
			return VIP{}, errors.New("brd and peer together: a point-to-point address has no broadcast address")
		}
		if v.Broadcast, err = broadcastOf(v.Prefix, brd); err != nil {
			return VIP{}, err
		}
	}
	if v4 {
		// keepalived reads it and sends it for IPv6 only; vips warns.
		v.PreferredLft, v.HasPreferredLft = 0, false
	}
	if v.Label != "" && !v4 {
		return VIP{}, errors.New("label applies to IPv4 addresses only")
	}
	return v, nil
}

var vipValueOptions = []string{"brd", "broadcast", "dev", "scope", "label", "peer", "preferred_lft"}

// broadcastOf reads brd's value: an address, or "+" (the subnet's last address) or "-"
// (its first), which keepalived computes for prefixes up to /30.
func broadcastOf(p netip.Prefix, val string) (netip.Addr, error) {
	switch val {
	case "+", "-":
		if p.Bits() > 30 {
			return netip.Addr{}, fmt.Errorf("brd %s needs a prefix of /30 or shorter, not /%d", val, p.Bits())
		}
		if val == "+" {
			return lastAddr(p), nil
		}
		return p.Masked().Addr(), nil
	}
	a, err := netip.ParseAddr(val)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("brd %q is not an IPv4 address, + or -", val)
	}
	return a, nil
}

package vrrp

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// interfaceSource returns the address adverts are sent from when none is configured, as
// keepalived chooses it: the interface's primary IPv4 address (the first one the kernel lists
// without IFA_F_SECONDARY, preferring global scope), or its IPv6 link-local address once
// duplicate address detection has passed (a tentative address cannot be a source).
func interfaceSource(ifi *net.Interface, family AddrFamily) (netip.Addr, error) {
	nf := netlink.FAMILY_V4
	if family == FamilyIPv6 {
		nf = netlink.FAMILY_V6
	}
	addrs, err := netlink.AddrList(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: ifi.Index}}, nf)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("list addresses: %w", err)
	}
	var fallback netip.Addr
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if family == FamilyIPv4 {
			if a.Flags&unix.IFA_F_SECONDARY != 0 {
				continue
			}
			if a.Scope == unix.RT_SCOPE_UNIVERSE {
				return ip, nil
			}
			if !fallback.IsValid() {
				fallback = ip
			}
			continue
		}
		if ip.IsLinkLocalUnicast() && a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) == 0 {
			return ip, nil
		}
	}
	if fallback.IsValid() {
		return fallback, nil
	}
	return netip.Addr{}, ErrNoSourceAddress
}

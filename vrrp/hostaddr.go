package vrrp

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
)

// HostAddress is one address the kernel lists on one interface.
type HostAddress struct {
	Dev    string
	Prefix netip.Prefix
}

// AddressLister lists every address of every interface, so that a VIP the host already
// holds can be told apart before halvs adds (and later removes) it.
type AddressLister interface {
	ListAddresses() ([]HostAddress, error)
}

var _ AddressLister = (*NetlinkAddresser)(nil)

// ListAddresses lists every IPv4 and IPv6 address of every interface in the addresser's
// network namespace.
func (a *NetlinkAddresser) ListAddresses() ([]HostAddress, error) {
	links, err := a.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("vrrp: list links: %w", err)
	}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	addrs, err := a.h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("vrrp: list addresses: %w", err)
	}
	out := make([]HostAddress, 0, len(addrs))
	for _, ad := range addrs {
		ip, ok := netip.AddrFromSlice(ad.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		ones, _ := ad.Mask.Size()
		name := names[ad.LinkIndex]
		if name == "" {
			name = fmt.Sprintf("ifindex %d", ad.LinkIndex) // a link that went between the two lists
		}
		out = append(out, HostAddress{Dev: name, Prefix: netip.PrefixFrom(ip, ones)})
	}
	return out, nil
}

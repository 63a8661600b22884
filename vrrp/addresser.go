package vrrp

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrInvalidVIP is wrapped by every error about a VIP that cannot be applied as given; nothing
// was sent to the kernel.
var ErrInvalidVIP = errors.New("invalid VIP")

// VIPError reports a failed Addresser operation on one VIP.
type VIPError struct {
	Op  string // "add", "delete" or "check"
	VIP VIP
	Err error
}

func (e *VIPError) Error() string {
	s := fmt.Sprintf("vrrp: %s VIP %s dev %s", e.Op, e.VIP.Prefix, e.VIP.Dev)
	if e.VIP.Label != "" {
		s += " label " + e.VIP.Label
	}
	return s + ": " + e.Err.Error()
}

func (e *VIPError) Unwrap() error { return e.Err }

// scopes are keepalived's (and iproute2's) scope names.
var scopes = map[string]netlink.Scope{
	"":       netlink.SCOPE_UNIVERSE,
	"global": netlink.SCOPE_UNIVERSE,
	"site":   netlink.SCOPE_SITE,
	"link":   netlink.SCOPE_LINK,
	"host":   netlink.SCOPE_HOST,
}

// NetlinkAddresser is the Addresser over rtnetlink. It adds a VIP as keepalived's
// netlink_ipaddress does: IFA_LOCAL with the configured prefix length, label and scope, no
// broadcast address, and for IPv6 IFA_F_NODAD. The VIP never becomes the preferred source of
// its subnet because the kernel, not the request, decides that: an IPv4 VIP inside a subnet
// that already has a primary address is made secondary, and a /32 VIP is the primary only of
// itself while the subnet's route keeps the primary address as its preferred source. NODAD
// keeps an IPv6 VIP usable at once and out of the "dadfailed" state that a split brain would
// otherwise leave it in for good; VRRP's own election is the duplicate detection.
//
// A NetlinkAddresser is safe for concurrent use.
type NetlinkAddresser struct {
	h   *netlink.Handle
	own bool
}

var _ Addresser = (*NetlinkAddresser)(nil)

// NewAddresser returns a NetlinkAddresser for the calling thread's network namespace. Close
// releases its netlink socket.
func NewAddresser() (*NetlinkAddresser, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("vrrp: addresser: %w", err)
	}
	return &NetlinkAddresser{h: h, own: true}, nil
}

// NewAddresserWithHandle returns a NetlinkAddresser working through h, for example a handle
// made with netlink.NewHandleAt for another network namespace. The caller keeps ownership of h.
func NewAddresserWithHandle(h *netlink.Handle) *NetlinkAddresser {
	return &NetlinkAddresser{h: h}
}

// Close releases the netlink socket if NewAddresser made it.
func (a *NetlinkAddresser) Close() error {
	if a.own {
		a.h.Close()
	}
	return nil
}

// AddVIP adds v to its interface. A VIP already there (same address and prefix length)
// is success, whatever its label or scope.
func (a *NetlinkAddresser) AddVIP(v VIP) error {
	addr, err := netlinkAddr(v)
	if err != nil {
		return &VIPError{Op: "add", VIP: v, Err: err}
	}
	link, err := a.h.LinkByName(v.Dev)
	if err != nil {
		return &VIPError{Op: "add", VIP: v, Err: err}
	}
	if err := a.h.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return &VIPError{Op: "add", VIP: v, Err: err}
	}
	return nil
}

// DelVIP removes v from its interface. A VIP that is absent, or whose interface no longer
// exists, is success: either way the address is not there. The request names only the
// address and prefix length, as keepalived's does, so that a label someone changed does not
// make the delete miss.
func (a *NetlinkAddresser) DelVIP(v VIP) error {
	if _, err := netlinkAddr(v); err != nil {
		return &VIPError{Op: "delete", VIP: v, Err: err}
	}
	link, err := a.h.LinkByName(v.Dev)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) || errors.Is(err, unix.ENODEV) {
			return nil
		}
		return &VIPError{Op: "delete", VIP: v, Err: err}
	}
	addr := &netlink.Addr{IPNet: ipNet(v)}
	if v.Prefix.Addr().Is4() {
		addr.Broadcast = net.IPv4zero // send no IFA_BROADCAST
	}
	err = a.h.AddrDel(link, addr)
	if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENODEV) {
		return &VIPError{Op: "delete", VIP: v, Err: err}
	}
	return nil
}

// HasVIP reports whether v's address with v's prefix length is on v's interface.
func (a *NetlinkAddresser) HasVIP(v VIP) (bool, error) {
	if _, err := netlinkAddr(v); err != nil {
		return false, &VIPError{Op: "check", VIP: v, Err: err}
	}
	link, err := a.h.LinkByName(v.Dev)
	if err != nil {
		return false, &VIPError{Op: "check", VIP: v, Err: err}
	}
	family := netlink.FAMILY_V4
	if v.Prefix.Addr().Is6() {
		family = netlink.FAMILY_V6
	}
	addrs, err := a.h.AddrList(link, family)
	if err != nil {
		return false, &VIPError{Op: "check", VIP: v, Err: err}
	}
	want := ipNet(v)
	for _, got := range addrs {
		if got.IP.Equal(want.IP) && got.Mask.String() == want.Mask.String() {
			return true, nil
		}
	}
	return false, nil
}

// netlinkAddr validates v and builds the request for adding it.
func netlinkAddr(v VIP) (*netlink.Addr, error) {
	p := v.Prefix
	switch {
	case !p.IsValid():
		return nil, fmt.Errorf("%w: no address", ErrInvalidVIP)
	case p.Addr().Zone() != "" || p.Addr().Is4In6():
		return nil, fmt.Errorf("%w: address %s must be plain IPv4 or IPv6", ErrInvalidVIP, p.Addr())
	case p.Addr().IsMulticast() || p.Addr().IsUnspecified():
		return nil, fmt.Errorf("%w: %s is not a unicast address", ErrInvalidVIP, p.Addr())
	case v.Dev == "" || len(v.Dev) > unix.IFNAMSIZ-1:
		return nil, fmt.Errorf("%w: interface name %q", ErrInvalidVIP, v.Dev)
	case v.Label != "" && p.Addr().Is6():
		return nil, fmt.Errorf("%w: labels are IPv4 only", ErrInvalidVIP)
	case len(v.Label) > unix.IFNAMSIZ-1:
		return nil, fmt.Errorf("%w: label %q is longer than %d bytes", ErrInvalidVIP, v.Label, unix.IFNAMSIZ-1)
	}
	scope, ok := scopes[v.Scope]
	if !ok {
		return nil, fmt.Errorf("%w: unknown scope %q (want global, site, link or host)", ErrInvalidVIP, v.Scope)
	}
	a := &netlink.Addr{IPNet: ipNet(v), Label: v.Label, Scope: int(scope)}
	if p.Addr().Is4() {
		// keepalived sends IFA_BROADCAST only when "brd" is configured; the zero address
		// tells the netlink package not to compute one.
		a.Broadcast = net.IPv4zero
	} else {
		a.Flags = unix.IFA_F_NODAD
	}
	return a, nil
}

func ipNet(v VIP) *net.IPNet {
	ip := v.Prefix.Addr()
	return &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(v.Prefix.Bits(), ip.BitLen())}
}

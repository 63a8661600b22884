package vrrp

import (
	"errors"
	"fmt"
	"net"
	"sync"

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
// The interface index of each name is looked up once and kept: the lookup costs more than
// the address change a takeover makes.
// A link deleted and created again under the same name gets a new index; the old one fails
// with ENODEV, and the name is looked up again. HasVIP, off the takeover path, always looks
// the name up (a stale index would list nothing rather than fail). A name moved to another
// link while the old link lives on (a rename) is not noticed until that link is deleted.
//
// A NetlinkAddresser is safe for concurrent use.
type NetlinkAddresser struct {
	h   *netlink.Handle
	own bool

	mu     sync.Mutex
	links  map[string]netlink.Link // by name: index and name only (what address requests use)
	lookup func(name string) (netlink.Link, error)
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

// link returns the link called name, from the cache unless fresh is set.
func (a *NetlinkAddresser) link(name string, fresh bool) (netlink.Link, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if l, ok := a.links[name]; ok && !fresh {
		return l, nil
	}
	lookup := a.lookup
	if lookup == nil {
		lookup = a.h.LinkByName
	}
	l, err := lookup(name)
	if err != nil {
		delete(a.links, name)
		return nil, err
	}
	if a.links == nil {
		a.links = map[string]netlink.Link{}
	}
	// Only what address requests read: the index, and the name a label must start with.
	l = &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: l.Attrs().Index, Name: l.Attrs().Name}}
	a.links[name] = l
	return l, nil
}

// withLink runs op on dev's cached link, and once more on a fresh lookup when the cached
// index is gone (ENODEV: the link was deleted, perhaps created again).
func (a *NetlinkAddresser) withLink(dev string, op func(netlink.Link) error) error {
	link, err := a.link(dev, false)
	if err != nil {
		return err
	}
	if err = op(link); !errors.Is(err, unix.ENODEV) {
		return err
	}
	if link, err = a.link(dev, true); err != nil {
		return err
	}
	return op(link)
}

// AddVIP adds v to its interface. A VIP already there (same address and prefix length)
// is success, whatever its label or scope.
func (a *NetlinkAddresser) AddVIP(v VIP) error {
	addr, err := netlinkAddr(v)
	if err != nil {
		return &VIPError{Op: "add", VIP: v, Err: err}
	}
	err = a.withLink(v.Dev, func(link netlink.Link) error { return a.h.AddrAdd(link, addr) })
	if err != nil && !errors.Is(err, unix.EEXIST) {
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
	addr := &netlink.Addr{IPNet: ipNet(v), Peer: peerNet(v)} // the kernel matches the peer too
	if v.Prefix.Addr().Is4() {
		addr.Broadcast = net.IPv4zero // send no IFA_BROADCAST
	}
	err := a.withLink(v.Dev, func(link netlink.Link) error { return a.h.AddrDel(link, addr) })
	var nf netlink.LinkNotFoundError
	if err != nil && !errors.As(err, &nf) && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENODEV) {
		return &VIPError{Op: "delete", VIP: v, Err: err}
	}
	return nil
}

// HasVIP reports whether v's address with v's prefix length is on v's interface.
func (a *NetlinkAddresser) HasVIP(v VIP) (bool, error) {
	if _, err := netlinkAddr(v); err != nil {
		return false, &VIPError{Op: "check", VIP: v, Err: err}
	}
	link, err := a.link(v.Dev, true)
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
	if (v.Broadcast.IsValid() && !v.Broadcast.Is4()) || (v.Broadcast.IsValid() && !p.Addr().Is4()) ||
		(v.Peer.IsValid() && v.Peer.Is4() != p.Addr().Is4()) {
		return nil, fmt.Errorf("%w: brd must be IPv4 on an IPv4 address, peer of the address's family", ErrInvalidVIP)
	}
	a := &netlink.Addr{IPNet: ipNet(v), Label: v.Label, Scope: int(scope), Flags: int(v.Flags), Peer: peerNet(v)}
	if p.Addr().Is4() {
		// keepalived sends IFA_BROADCAST only when "brd" is configured; the zero address
		// tells the netlink package not to compute one.
		a.Broadcast = net.IPv4zero
		if v.Broadcast.IsValid() {
			a.Broadcast = v.Broadcast.AsSlice()
		}
	} else {
		if !v.DAD {
			a.Flags |= unix.IFA_F_NODAD
		}
		if v.HasPreferredLft {
			// keepalived's IFA_CACHEINFO: valid forever, preferred as configured.
			a.PreferedLft, a.ValidLft = int(v.PreferredLft), int(^uint32(0))
		}
	}
	return a, nil
}

// peerNet is the peer address of v with v's prefix length, or nil.
func peerNet(v VIP) *net.IPNet {
	if !v.Peer.IsValid() {
		return nil
	}
	return &net.IPNet{IP: v.Peer.AsSlice(), Mask: net.CIDRMask(v.Prefix.Bits(), v.Peer.BitLen())}
}

func ipNet(v VIP) *net.IPNet {
	ip := v.Prefix.Addr()
	return &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(v.Prefix.Bits(), ip.BitLen())}
}

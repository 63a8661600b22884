package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// NetlinkRoutes is the RouteManager over rtnetlink. A route is added as keepalived's
// netlink_route adds it: with its protocol (keepalived's by default), scope global unless
// given, and by default prepended (NLM_F_CREATE without NLM_F_EXCL), so that an identical
// route already there is EEXIST and a route to the same destination by another path is
// kept. A route is removed with every attribute it was added with, so that the kernel
// removes that route and not another to the same destination. Rules are added with
// NLM_F_EXCL (an identical rule is EEXIST) and removed by all their attributes too.
//
// Interface names are looked up at every call: routes change on takeovers and reloads,
// not on the advert path. A NetlinkRoutes is safe for concurrent use.
type NetlinkRoutes struct {
	h   *netlink.Handle
	own bool
}

var _ RouteManager = (*NetlinkRoutes)(nil)

// NewRoutes returns a NetlinkRoutes for the calling thread's network namespace. Close
// releases its netlink socket.
func NewRoutes() (*NetlinkRoutes, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("vrrp: routes: %w", err)
	}
	return &NetlinkRoutes{h: h, own: true}, nil
}

// NewRoutesWithHandle returns a NetlinkRoutes working through h, for example a handle made
// with netlink.NewHandleAt for another network namespace. The caller keeps ownership of h.
func NewRoutesWithHandle(h *netlink.Handle) *NetlinkRoutes { return &NetlinkRoutes{h: h} }

// Close releases the netlink socket if NewRoutes made it.
func (n *NetlinkRoutes) Close() error {
	if n.own {
		n.h.Close()
	}
	return nil
}

// AddRoute adds r; an identical route already there is an error wrapping unix.EEXIST.
func (n *NetlinkRoutes) AddRoute(r Route) error {
	nr, err := n.netlinkRoute(r)
	if err == nil {
		switch r.Mode {
		case RouteAddExcl:
			err = n.h.RouteAdd(nr)
		case RouteAppend:
			err = n.h.RouteAppend(nr)
		default:
			err = n.h.RouteAddEcmp(nr) // NLM_F_CREATE alone: the kernel prepends
		}
	}
	if err != nil {
		return &RouteError{Op: "add route", What: r.String(), Err: err}
	}
	return nil
}

// DelRoute removes r. A route that is absent, or whose interface is gone (and with it
// its routes), is success.
func (n *NetlinkRoutes) DelRoute(r Route) error {
	nr, err := n.netlinkRoute(r)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err == nil {
		err = n.h.RouteDel(nr)
	}
	if err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENODEV) {
		return &RouteError{Op: "delete route", What: r.String(), Err: err}
	}
	return nil
}

// AddRule adds r; an identical rule already there is an error wrapping unix.EEXIST.
func (n *NetlinkRoutes) AddRule(r Rule) error {
	nr, err := netlinkRule(r)
	if err == nil {
		err = n.h.RuleAdd(nr)
	}
	if err != nil {
		return &RouteError{Op: "add rule", What: r.String(), Err: err}
	}
	return nil
}

// DelRule removes r; a rule that is absent is success.
func (n *NetlinkRoutes) DelRule(r Rule) error {
	nr, err := netlinkRule(r)
	if err == nil {
		err = n.h.RuleDel(nr)
	}
	if err != nil && !errors.Is(err, unix.ENOENT) {
		return &RouteError{Op: "delete rule", What: r.String(), Err: err}
	}
	return nil
}

func (n *NetlinkRoutes) index(dev string) (int, error) {
	if dev == "" {
		return 0, nil
	}
	l, err := n.h.LinkByName(dev)
	if err != nil {
		return 0, err
	}
	return l.Attrs().Index, nil
}

// netlinkRoute validates r and builds the request.
func (n *NetlinkRoutes) netlinkRoute(r Route) (*netlink.Route, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	typ := r.Type
	if typ == 0 {
		typ = unix.RTN_UNICAST
	}
	m := r.Metrics
	nr := &netlink.Route{
		Dst: prefixNet(r.Dst), Table: int(r.table()), Type: int(typ), Protocol: netlink.RouteProtocol(r.protocol()),
		Scope: netlink.Scope(r.Scope), Tos: int(r.Tos), Priority: int(r.Metric), Realm: int(r.Realms),
		Gw: addrIP(r.Via), Src: addrIP(r.Src),
		MTU: int(m.MTU), MTULock: m.MTULock, Window: int(m.Window), Rtt: int(m.RTT), RttVar: int(m.RTTVar),
		Ssthresh: int(m.Ssthresh), Cwnd: int(m.Cwnd), AdvMSS: int(m.AdvMSS), Reordering: int(m.Reordering),
		Hoplimit: int(m.Hoplimit), InitCwnd: int(m.InitCwnd), InitRwnd: int(m.InitRwnd), RtoMin: int(m.RTOMin),
		RtoMinLock: m.RTOMinLock, Features: int(m.Features), QuickACK: int(m.QuickAck),
		FastOpenNoCookie: int(m.FastOpenNoCookie), Congctl: r.Congctl,
	}
	if r.OnLink {
		nr.Flags |= unix.RTNH_F_ONLINK
	}
	var err error
	if nr.LinkIndex, err = n.index(r.Dev); err != nil {
		return nil, err
	}
	for _, nh := range r.Nexthops {
		info := &netlink.NexthopInfo{Gw: addrIP(nh.Via), Hops: max(nh.Weight, 1) - 1}
		if nh.OnLink {
			info.Flags |= unix.RTNH_F_ONLINK
		}
		if info.LinkIndex, err = n.index(nh.Dev); err != nil {
			return nil, err
		}
		nr.MultiPath = append(nr.MultiPath, info)
	}
	return nr, nil
}

// netlinkRule validates r and builds the request.
func netlinkRule(r Rule) (*netlink.Rule, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	nr := netlink.NewRule()
	nr.Family = netlink.FAMILY_V4
	if r.IPv6 {
		nr.Family = netlink.FAMILY_V6
	}
	nr.Priority = int(r.Priority)
	if r.From.IsValid() {
		nr.Src = prefixNet(r.From)
	}
	if r.To.IsValid() {
		nr.Dst = prefixNet(r.To)
	}
	switch r.Action {
	case unix.FR_ACT_TO_TBL:
		nr.Table = int(r.Table)
	case unix.FR_ACT_GOTO:
		nr.Goto = int(r.Goto)
	default:
		nr.Type = r.Action
	}
	nr.Invert = r.Not
	nr.Tos = uint(r.Tos)
	nr.Mark = r.FwMark
	if r.HasMask {
		mask := r.FwMask
		nr.Mask = &mask
	}
	if r.Realms != 0 {
		nr.Flow = int(r.Realms)
	}
	if r.HasSuppressPrefixLen {
		nr.SuppressPrefixlen = int(r.SuppressPrefixLen)
	}
	if r.HasSuppressIfgroup {
		nr.SuppressIfgroup = int(r.SuppressIfgroup)
	}
	nr.IifName, nr.OifName = r.Iif, r.Oif
	nr.IPProto = int(r.IPProto)
	nr.Protocol = r.protocol()
	if r.HasUIDRange {
		nr.UIDRange = netlink.NewRuleUIDRange(r.UIDRange[0], r.UIDRange[1])
	}
	if r.Sport != [2]uint16{} {
		nr.Sport = netlink.NewRulePortRange(r.Sport[0], r.Sport[1])
	}
	if r.Dport != [2]uint16{} {
		nr.Dport = netlink.NewRulePortRange(r.Dport[0], r.Dport[1])
	}
	return nr, nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	a := p.Masked().Addr()
	return &net.IPNet{IP: a.AsSlice(), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}

func addrIP(a netip.Addr) net.IP {
	if !a.IsValid() {
		return nil
	}
	return a.AsSlice()
}

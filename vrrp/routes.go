package vrrp

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Routes and policy rules that move with mastership (keepalived's virtual_routes and
// virtual_rules): an instance adds them after its VIPs when it becomes MASTER and removes
// them before its VIPs when it leaves MASTER, rules after routes and before them
// respectively, as keepalived does.

// ProtoKeepalived is the routing protocol number keepalived marks its routes and rules
// with (RTPROT_KEEPALIVED, "keepalived" in iproute2's rt_protos); halvs uses it too unless
// the entry names another, so `ip route show proto keepalived` lists them.
const ProtoKeepalived = 18

// RouteMode is how a route is added when the kernel already has routes to its
// destination: keepalived's prepend (the default), add or append.
type RouteMode uint8

const (
	RoutePrepend RouteMode = iota // NLM_F_CREATE: before the others (keepalived's default)
	RouteAddExcl                  // NLM_F_EXCL: refused if a route with the same key exists
	RouteAppend                   // NLM_F_APPEND: after the others
)

// RouteMetrics are a route's RTA_METRICS, in the kernel's units (rtt in 1/8 ms, rttvar in
// 1/4 ms, rto_min in ms). Zero means not set. MTULock and RTOMinLock are the only locks
// the netlink package can send.
type RouteMetrics struct {
	MTU, Window, RTT, RTTVar, Ssthresh, Cwnd, AdvMSS, Reordering, Hoplimit uint32
	InitCwnd, InitRwnd, RTOMin, Features, QuickAck, FastOpenNoCookie       uint32
	MTULock, RTOMinLock                                                    bool
}

// Nexthop is one path of a multipath route ("nexthop via GW dev IF weight W onlink").
type Nexthop struct {
	Via    netip.Addr
	Dev    string
	Weight int // 1..256; 0 means 1
	OnLink bool
	Realms uint32
}

// Route is one virtual_routes (or static_routes) entry, in the kernel's terms. Dev empty
// lets the kernel pick the interface from the gateway.
type Route struct {
	Dst      netip.Prefix
	Type     uint8  // unix.RTN_*; 0 is unicast
	Table    uint32 // 0 is main (254)
	Via      netip.Addr
	Dev      string
	Src      netip.Addr // the preferred source address ("src")
	Metric   uint32     // "metric" / "priority" / "preference"
	Scope    uint8      // unix.RT_SCOPE_*; 0 is global, keepalived's default
	Protocol uint8      // 0 is ProtoKeepalived
	Tos      uint8
	OnLink   bool
	Realms   uint32
	Metrics  RouteMetrics
	Congctl  string
	Mode     RouteMode
	Nexthops []Nexthop
	// NoTrack (keepalived's no_track) keeps a MASTER from re-adding the route when it is
	// deleted behind its back (routes_check.go). It is not part of the route in the kernel.
	NoTrack bool
}

// Rule is one virtual_rules (or static_rules) entry: a policy routing rule.
type Rule struct {
	Priority uint32 // "preference" / "priority" / "order"; the config always sets one
	IPv6     bool   // the family, for a rule with neither from nor to
	From, To netip.Prefix
	Action   uint8  // unix.FR_ACT_*: TO_TBL (table), GOTO, NOP, BLACKHOLE, UNREACHABLE, PROHIBIT
	Table    uint32 // with FR_ACT_TO_TBL
	Goto     uint32 // with FR_ACT_GOTO
	Not      bool
	Tos      uint8
	FwMark   uint32
	FwMask   uint32
	HasMask  bool
	Realms   uint32
	Iif, Oif string
	IPProto  uint8
	Protocol uint8 // 0 is ProtoKeepalived
	// SuppressPrefixLen and SuppressIfgroup are set when Has... is.
	SuppressPrefixLen, SuppressIfgroup       uint32
	HasSuppressPrefixLen, HasSuppressIfgroup bool
	UIDRange                                 [2]uint32
	HasUIDRange                              bool
	Sport, Dport                             [2]uint16 // zero: any port
	NoTrack                                  bool      // as Route's
}

// RouteManager adds and removes routes and policy rules. Adding what the kernel already
// has fails with an error wrapping unix.EEXIST; removing what is absent succeeds.
type RouteManager interface {
	AddRoute(r Route) error
	DelRoute(r Route) error
	AddRule(r Rule) error
	DelRule(r Rule) error
}

// ErrInvalidRoute is wrapped by every error about a route or rule that cannot be applied as
// given; nothing was sent to the kernel.
var ErrInvalidRoute = errors.New("invalid route or rule")

// RouteError reports a failed RouteManager operation.
type RouteError struct {
	Op   string // "add route", "delete route", "add rule", "delete rule"
	What string // the route or rule, as Route.String or Rule.String
	Err  error
}

func (e *RouteError) Error() string { return "vrrp: " + e.Op + " " + e.What + ": " + e.Err.Error() }
func (e *RouteError) Unwrap() error { return e.Err }

// Validate says what makes r impossible to add.
func (r Route) Validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: route %s: %s", ErrInvalidRoute, r, fmt.Sprintf(f, a...))
	}
	v6 := r.Dst.Addr().Is6()
	switch {
	case !r.Dst.IsValid():
		return bad("no destination")
	case r.Via.IsValid() && r.Via.Is6() != v6, r.Src.IsValid() && r.Src.Is6() != v6:
		return bad("via and src must be of the destination's family")
	case len(r.Dev) > unix.IFNAMSIZ-1:
		return bad("interface name %q is too long", r.Dev)
	case r.Via.IsValid() && len(r.Nexthops) > 0:
		return bad("via and nexthop together")
	}
	for _, nh := range r.Nexthops {
		switch {
		case nh.Via.IsValid() && nh.Via.Is6() != v6:
			return bad("nexthop via %s is not of the destination's family", nh.Via)
		case nh.Weight < 0 || nh.Weight > 256:
			return bad("nexthop weight %d out of 1..256", nh.Weight)
		case !nh.Via.IsValid() && nh.Dev == "":
			return bad("a nexthop needs via or dev")
		}
	}
	return nil
}

// Validate says what makes r impossible to add.
func (r Rule) Validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: rule %s: %s", ErrInvalidRoute, r, fmt.Sprintf(f, a...))
	}
	for _, p := range []netip.Prefix{r.From, r.To} {
		if p.IsValid() && p.Addr().Is6() != r.IPv6 {
			return bad("from and to must be of the rule's family")
		}
	}
	switch r.Action {
	case unix.FR_ACT_TO_TBL:
		if r.Table == 0 {
			return bad("table 0")
		}
	case unix.FR_ACT_GOTO:
		if r.Goto <= r.Priority {
			return bad("goto %d must be after the rule's own preference %d", r.Goto, r.Priority)
		}
	case unix.FR_ACT_NOP, unix.FR_ACT_BLACKHOLE, unix.FR_ACT_UNREACHABLE, unix.FR_ACT_PROHIBIT:
	default:
		return bad("no action (table, goto, nop, blackhole, unreachable or prohibit)")
	}
	return nil
}

// table and protocol with the defaults filled in.
func (r Route) table() uint32 {
	if r.Table == 0 {
		return unix.RT_TABLE_MAIN
	}
	return r.Table
}

func (r Route) protocol() uint8 {
	if r.Protocol == 0 {
		return ProtoKeepalived
	}
	return r.Protocol
}

func (r Rule) protocol() uint8 {
	if r.Protocol == 0 {
		return ProtoKeepalived
	}
	return r.Protocol
}

func routeKeys(rs []Route) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func ruleKeys(rs []Rule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

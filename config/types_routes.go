package config

import "net/netip"

// Routes and policy rules in keepalived's string forms: virtual_routes and virtual_rules of
// a vrrp_instance (added when it is MASTER), static_routes and static_rules at the top
// level (added at start, removed at stop). Numbers are the kernel's (RTN_*, RT_SCOPE_*,
// FR_ACT_*); zero means the kernel's default where one is noted.

// RouteMode is how a route is added beside others to its destination: keepalived's
// prepend (the default), add (refused if one exists) or append.
type RouteMode uint8

const (
	RoutePrepend RouteMode = iota
	RouteAdd
	RouteAppend
)

// RouteMetrics are a route's metrics in the kernel's units (rtt 1/8 ms, rttvar 1/4 ms,
// rto_min ms); zero is not set.
type RouteMetrics struct {
	MTU, Window, RTT, RTTVar, Ssthresh, Cwnd, AdvMSS, Reordering, Hoplimit uint32
	InitCwnd, InitRwnd, RTOMin, Features, QuickAck, FastOpenNoCookie       uint32
	MTULock, RTOMinLock                                                    bool
}

// Nexthop is one "nexthop via GW dev IF weight W onlink" of a multipath route.
type Nexthop struct {
	Via    netip.Addr
	Dev    string
	Weight int // 1..256; 0 is 1
	OnLink bool
	Realms uint32
}

// Route is one route entry:
// "[type] [to] PREFIX [via GW] [dev IF] [src ADDR] [table T] [metric N] [scope S]
// [protocol P] [tos T] [onlink] [realms R] [METRIC [lock] N]... [add|prepend|append]
// [nexthop via GW dev IF weight W onlink]...".
type Route struct {
	Dst      netip.Prefix
	Type     uint8  // RTN_*; 0 is unicast
	Table    uint32 // 0 is main
	Via      netip.Addr
	Dev      string
	Src      netip.Addr
	Metric   uint32
	Scope    uint8
	Protocol uint8 // 0 is keepalived's (18)
	Tos      uint8
	OnLink   bool
	Realms   uint32
	Metrics  RouteMetrics
	Congctl  string
	Mode     RouteMode
	Nexthops []Nexthop
	// NoTrack is keepalived's no_track: a MASTER does not re-add the virtual route when it
	// is deleted behind its back (until its next takeover).
	NoTrack bool
	Source  Source
}

// RuleSpec is a policy rule in the kernel's terms (see Rule).
type RuleSpec struct {
	Priority uint32
	IPv6     bool
	From, To netip.Prefix
	Action   uint8 // FR_ACT_*
	Table    uint32
	Goto     uint32
	Not      bool
	Tos      uint8
	FwMark   uint32
	FwMask   uint32
	HasMask  bool
	Realms   uint32
	Iif, Oif string
	IPProto  uint8
	Protocol uint8 // 0 is keepalived's (18)
	// SuppressPrefixLen and SuppressIfgroup apply when Has... is set.
	SuppressPrefixLen, SuppressIfgroup       uint32
	HasSuppressPrefixLen, HasSuppressIfgroup bool
	UIDRange                                 [2]uint32
	HasUIDRange                              bool
	Sport, Dport                             [2]uint16
	NoTrack                                  bool // no_track, as Route's (not in the kernel)
}

// Rule is one rule entry: "[inet|inet6] [not] [from PREFIX] [to PREFIX] [preference N]
// [tos T] [fwmark M[/MASK]] [iif IF] [oif IF] [uidrange A-B] [ipproto P] [sport A[-B]]
// [dport A[-B]] [protocol P] (table T | goto N | nop | blackhole | unreachable |
// prohibit) [realms R] [suppress_prefixlength N] [suppress_ifgroup N]". A rule without a
// preference gets keepalived's: 16384 for the first such of its family in the file, one
// less for each next (a warning says so).
type Rule struct {
	RuleSpec
	// AutoPreference: the entry gave no preference, and Priority is keepalived's numbering.
	AutoPreference bool
	Source         Source
}

package vrrp

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Routes and rules in `ip route` / `ip rule` words: for logs, status, and the keys of the
// route record.

var routeTypeNames = map[uint8]string{
	unix.RTN_UNICAST: "unicast", unix.RTN_LOCAL: "local", unix.RTN_BROADCAST: "broadcast",
	unix.RTN_ANYCAST: "anycast", unix.RTN_MULTICAST: "multicast", unix.RTN_BLACKHOLE: "blackhole",
	unix.RTN_UNREACHABLE: "unreachable", unix.RTN_PROHIBIT: "prohibit", unix.RTN_THROW: "throw",
	unix.RTN_NAT: "nat", unix.RTN_XRESOLVE: "xresolve",
}

var scopeNames = map[uint8]string{
	unix.RT_SCOPE_UNIVERSE: "global", unix.RT_SCOPE_SITE: "site", unix.RT_SCOPE_LINK: "link",
	unix.RT_SCOPE_HOST: "host", unix.RT_SCOPE_NOWHERE: "nowhere",
}

var ruleActionNames = map[uint8]string{
	unix.FR_ACT_NOP: "nop", unix.FR_ACT_BLACKHOLE: "blackhole", unix.FR_ACT_UNREACHABLE: "unreachable",
	unix.FR_ACT_PROHIBIT: "prohibit",
}

// tableName is iproute2's name of the reserved tables, else the number.
func tableName(t uint32) string {
	switch t {
	case unix.RT_TABLE_MAIN:
		return "main"
	case unix.RT_TABLE_LOCAL:
		return "local"
	case unix.RT_TABLE_DEFAULT:
		return "default"
	}
	return strconv.FormatUint(uint64(t), 10)
}

// String is r in `ip route` words, in a fixed order: it names the route in logs and
// status, and keys the record of the routes halvs added.
func (r Route) String() string {
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, " "+f, a...) }
	if r.Type != 0 && r.Type != unix.RTN_UNICAST {
		b.WriteString(routeTypeNames[r.Type] + " ")
	}
	b.WriteString(r.Dst.String())
	if r.Tos != 0 {
		w("tos 0x%02x", r.Tos)
	}
	if r.Via.IsValid() {
		w("via %s", r.Via)
	}
	if r.Dev != "" {
		w("dev %s", r.Dev)
	}
	if t := r.table(); t != unix.RT_TABLE_MAIN {
		w("table %s", tableName(t))
	}
	if p := r.protocol(); p != ProtoKeepalived {
		w("proto %d", p)
	}
	if r.Scope != 0 {
		w("scope %s", cmpOr(scopeNames[r.Scope], strconv.Itoa(int(r.Scope))))
	}
	if r.Src.IsValid() {
		w("src %s", r.Src)
	}
	if r.Metric != 0 {
		w("metric %d", r.Metric)
	}
	if r.OnLink {
		w("onlink")
	}
	if r.Realms != 0 {
		w("realms %s", realmsString(r.Realms))
	}
	m := r.Metrics
	for _, x := range []struct {
		name string
		v    uint32
		lock bool
	}{
		{"mtu", m.MTU, m.MTULock}, {"window", m.Window, false}, {"rtt", m.RTT, false},
		{"rttvar", m.RTTVar, false}, {"ssthresh", m.Ssthresh, false}, {"cwnd", m.Cwnd, false},
		{"advmss", m.AdvMSS, false}, {"reordering", m.Reordering, false}, {"hoplimit", m.Hoplimit, false},
		{"initcwnd", m.InitCwnd, false}, {"initrwnd", m.InitRwnd, false}, {"rto_min", m.RTOMin, m.RTOMinLock},
		{"features", m.Features, false}, {"quickack", m.QuickAck, false}, {"fastopen_no_cookie", m.FastOpenNoCookie, false},
	} {
		switch {
		case x.v == 0:
		case x.lock:
			w("%s lock %d", x.name, x.v)
		default:
			w("%s %d", x.name, x.v)
		}
	}
	if r.Congctl != "" {
		w("congctl %s", r.Congctl)
	}
	switch r.Mode {
	case RouteAddExcl:
		w("add")
	case RouteAppend:
		w("append")
	}
	for _, nh := range r.Nexthops {
		w("nexthop")
		if nh.Via.IsValid() {
			w("via %s", nh.Via)
		}
		if nh.Dev != "" {
			w("dev %s", nh.Dev)
		}
		if nh.Weight > 1 {
			w("weight %d", nh.Weight)
		}
		if nh.OnLink {
			w("onlink")
		}
		if nh.Realms != 0 {
			w("realms %s", realmsString(nh.Realms))
		}
	}
	return b.String()
}

// String is r in `ip rule` words, in a fixed order (see Route.String).
func (r Rule) String() string {
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, " "+f, a...) }
	fmt.Fprintf(&b, "%d:", r.Priority)
	if r.IPv6 && !r.From.IsValid() && !r.To.IsValid() {
		w("inet6")
	}
	if r.Not {
		w("not")
	}
	if r.From.IsValid() {
		w("from %s", r.From)
	} else {
		w("from all")
	}
	if r.To.IsValid() {
		w("to %s", r.To)
	}
	if r.Tos != 0 {
		w("tos 0x%02x", r.Tos)
	}
	if r.FwMark != 0 || r.HasMask {
		if r.HasMask {
			w("fwmark 0x%x/0x%x", r.FwMark, r.FwMask)
		} else {
			w("fwmark 0x%x", r.FwMark)
		}
	}
	if r.Iif != "" {
		w("iif %s", r.Iif)
	}
	if r.Oif != "" {
		w("oif %s", r.Oif)
	}
	if r.HasUIDRange {
		w("uidrange %d-%d", r.UIDRange[0], r.UIDRange[1])
	}
	if r.IPProto != 0 {
		w("ipproto %d", r.IPProto)
	}
	if r.Sport != [2]uint16{} {
		w("sport %d-%d", r.Sport[0], r.Sport[1])
	}
	if r.Dport != [2]uint16{} {
		w("dport %d-%d", r.Dport[0], r.Dport[1])
	}
	if p := r.protocol(); p != ProtoKeepalived {
		w("proto %d", p)
	}
	switch r.Action {
	case unix.FR_ACT_TO_TBL:
		w("lookup %s", tableName(r.Table))
	case unix.FR_ACT_GOTO:
		w("goto %d", r.Goto)
	default:
		w("%s", cmpOr(ruleActionNames[r.Action], "action "+strconv.Itoa(int(r.Action))))
	}
	if r.HasSuppressPrefixLen {
		w("suppress_prefixlength %d", r.SuppressPrefixLen)
	}
	if r.HasSuppressIfgroup {
		w("suppress_ifgroup %d", r.SuppressIfgroup)
	}
	if r.Realms != 0 {
		w("realms %s", realmsString(r.Realms))
	}
	return b.String()
}

// realmsString is iproute2's FROM/TO form of a realms value (TO in the low 16 bits).
func realmsString(v uint32) string {
	if v>>16 == 0 {
		return strconv.Itoa(int(v & 0xffff))
	}
	return fmt.Sprintf("%d/%d", v>>16, v&0xffff)
}

func cmpOr(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// parseRoute parses one route entry as keepalived's alloc_route reads it, keeping what the
// kernel can be told through netlink and refusing the rest with the reason. warn gets the
// remarks that do not stop it (deprecated words, no effect).
func parseRoute(s string, warn func(string)) (Route, error) {
	t := &tokens{f: strings.Fields(s)}
	r := Route{}
	var fam family
	var dst string
	for t.more() {
		w := t.next()
		var err error
		switch w {
		case "inet", "inet6":
			err = fam.add(w == "inet6")
		case "src":
			r.Src, err = routeAddr(t, w, &fam)
		case "via", "gw":
			if w == "gw" {
				warn(`"gw" is deprecated in keepalived; write "via"`)
			}
			if t.more() && (t.peek() == "inet" || t.peek() == "inet6") {
				err = fam.add(t.next() == "inet6")
			}
			if err == nil {
				r.Via, err = routeAddr(t, w, &fam)
			}
		case "or":
			warn(`"or" is deprecated in keepalived; write "nexthop via A nexthop via B"`)
			if !r.Via.IsValid() || len(r.Nexthops) > 0 {
				return Route{}, errors.New(`"or" must follow one "via" address`)
			}
			var alt netip.Addr
			if alt, err = routeAddr(t, w, &fam); err == nil {
				r.Nexthops = []Nexthop{{Via: r.Via}, {Via: alt}}
				r.Via = netip.Addr{}
			}
		case "tos", "dsfield":
			r.Tos, err = namedValue(t, w, map[string]uint8{}, 255, "TOS")
		case "table":
			r.Table, err = namedValue(t, w, routeTables, 1<<32-1, "table")
		case "protocol", "proto":
			r.Protocol, err = namedValue(t, w, routeProtos, 255, "protocol")
		case "scope":
			r.Scope, err = namedValue(t, w, routeScopes, 255, "scope")
		case "metric", "priority", "preference":
			r.Metric, err = numValue[uint32](t, w, 1<<32-1)
		case "dev", "oif":
			r.Dev, err = ifValue(t, w)
		case "onlink":
			r.OnLink = true
		case "realms":
			var v string
			if v, err = t.value(w); err == nil {
				r.Realms, err = realms(v)
			}
			if err == nil {
				err = fam.add(false)
			}
		case "add":
			r.Mode = RouteAdd
		case "prepend":
			r.Mode = RoutePrepend
		case "append":
			r.Mode = RouteAppend
		case "no_track":
			r.NoTrack = true
		case "nexthop":
			if len(r.Nexthops) > 0 {
				return Route{}, errors.New(`"nexthop" cannot follow "or"`)
			}
			if r.Nexthops, err = parseNexthops(t, &fam); err != nil {
				return Route{}, err
			}
		case "from":
			return Route{}, errors.New("from (an IPv6 source-specific route) cannot be expressed through the netlink library halvs uses; use a rule (virtual_rules) to select a table instead")
		case "encap", "expires", "pref", "ttl-propagate", "as", "vrf", "track_group":
			return Route{}, fmt.Errorf("%s is not supported by halvs: %s", w, unsupportedRouteWord[w])
		default:
			if m, ok := routeMetricWords[w]; ok {
				err = m.parse(t, w, &r.Metrics, &r.Congctl)
				break
			}
			if w == "to" {
				if !t.more() {
					return Route{}, errors.New("to needs a destination")
				}
				w = t.next()
			}
			if typ, ok := routeTypes[w]; ok {
				if !t.more() {
					return Route{}, fmt.Errorf("%s needs a destination", w)
				}
				r.Type, w = typ, t.next()
			}
			if dst != "" {
				return Route{}, fmt.Errorf("unknown word %q, or a second destination after %s%s", w, dst, suggestValue(w, routeWords))
			}
			if _, err := parsePrefixOrAddr(w); err != nil && w != "default" {
				return Route{}, fmt.Errorf("unknown word %q%s", w, suggestValue(w, routeWords))
			}
			dst = w
		}
		if err != nil {
			return Route{}, err
		}
	}
	if dst == "" {
		return Route{}, errors.New("a route needs a destination such as 10.20.0.0/16 (or default)")
	}
	if dst != "default" {
		p, _ := parsePrefixOrAddr(dst)
		if err := fam.add(p.Addr().Is6()); err != nil {
			return Route{}, err
		}
	}
	var err error
	if r.Dst, err = routePrefix("destination", dst, fam.v6); err != nil {
		return Route{}, err
	}
	if r.Tos != 0 && fam.v6 {
		return Route{}, errors.New("tos applies to IPv4 routes only")
	}
	return r, nil
}

// parseNexthops reads "nexthop ..." groups to the end of the entry (the first "nexthop"
// already read).
func parseNexthops(t *tokens, fam *family) ([]Nexthop, error) {
	nhs := []Nexthop{{}}
	for t.more() {
		w := t.next()
		nh := &nhs[len(nhs)-1]
		var err error
		switch w {
		case "nexthop":
			nhs = append(nhs, Nexthop{})
		case "via":
			if t.more() && (t.peek() == "inet" || t.peek() == "inet6") {
				err = fam.add(t.next() == "inet6")
			}
			if err == nil {
				nh.Via, err = routeAddr(t, w, fam)
			}
		case "dev":
			nh.Dev, err = ifValue(t, w)
		case "weight":
			var v uint64
			if v, err = numValue[uint64](t, w, 256); err == nil && v == 0 {
				err = errors.New("weight 0: a nexthop's weight is from 1 to 256")
			}
			nh.Weight = int(v)
		case "onlink":
			nh.OnLink = true
		case "realms", "encap", "as":
			return nil, fmt.Errorf("%s on a nexthop cannot be expressed through the netlink library halvs uses", w)
		default:
			return nil, fmt.Errorf("unknown word %q in a nexthop (via, dev, weight, onlink)", w)
		}
		if err != nil {
			return nil, err
		}
	}
	for i, nh := range nhs {
		if !nh.Via.IsValid() && nh.Dev == "" {
			return nil, fmt.Errorf("nexthop %d needs via or dev", i+1)
		}
	}
	return nhs, nil
}

var unsupportedRouteWord = map[string]string{
	"encap":         "lightweight tunnel encapsulation (MPLS, IP, ILA) is not programmed by halvs",
	"expires":       "the netlink library halvs uses cannot send a route's expiry",
	"pref":          "the netlink library halvs uses cannot send an IPv6 router preference",
	"ttl-propagate": "the netlink library halvs uses cannot send ttl-propagate (MPLS)",
	"as":            "address translation (as to) is MPLS only; keepalived does not apply it either",
	"vrf":           "a VRF's table is not looked up by halvs; write its table number with table N",
	"track_group":   "track groups are not supported; halvs does not watch interfaces for static routes",
}

// routeMetric is one metric keyword: whether it takes lock, and how its value reads.
type routeMetric struct {
	lockable bool // netlink can send the lock (mtu, rto_min)
	lockOK   bool // keepalived accepts lock here
	perMS    uint64
	max      uint64
	set      func(m *RouteMetrics, v uint32, lock bool)
}

var routeMetricWords = map[string]routeMetric{
	"mtu":                {lockable: true, lockOK: true, max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, l bool) { m.MTU, m.MTULock = v, l }},
	"rto_min":            {lockable: true, lockOK: true, perMS: 1, set: func(m *RouteMetrics, v uint32, l bool) { m.RTOMin, m.RTOMinLock = v, l }},
	"hoplimit":           {max: 255, set: func(m *RouteMetrics, v uint32, _ bool) { m.Hoplimit = v }},
	"advmss":             {lockOK: true, max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.AdvMSS = v }},
	"rtt":                {lockOK: true, perMS: 8, set: func(m *RouteMetrics, v uint32, _ bool) { m.RTT = v }},
	"rttvar":             {lockOK: true, perMS: 4, set: func(m *RouteMetrics, v uint32, _ bool) { m.RTTVar = v }},
	"reordering":         {lockOK: true, max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.Reordering = v }},
	"window":             {max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.Window = v }},
	"cwnd":               {lockOK: true, max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.Cwnd = v }},
	"ssthresh":           {lockOK: true, max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.Ssthresh = v }},
	"initcwnd":           {max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.InitCwnd = v }},
	"initrwnd":           {max: 1<<32 - 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.InitRwnd = v }},
	"quickack":           {max: 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.QuickAck = v }},
	"fastopen_no_cookie": {max: 1, set: func(m *RouteMetrics, v uint32, _ bool) { m.FastOpenNoCookie = v }},
	"features":           {},
	"congctl":            {lockOK: true},
}

func (m routeMetric) parse(t *tokens, w string, metrics *RouteMetrics, congctl *string) error {
	v, err := t.value(w)
	if err != nil {
		return err
	}
	lock := false
	if v == "lock" && m.lockOK {
		if !m.lockable {
			return fmt.Errorf("%s lock cannot be expressed through the netlink library halvs uses (only mtu and rto_min locks can)", w)
		}
		lock = true
		if v, err = t.value(w); err != nil {
			return err
		}
	}
	switch w {
	case "features":
		if v != "ecn" {
			return fmt.Errorf("features %q: only ecn is known", v)
		}
		metrics.Features = 1 // RTAX_FEATURE_ECN
		return nil
	case "congctl":
		*congctl = v
		return nil
	}
	var n uint32
	if m.perMS > 0 {
		n, err = timeRTT(w, v, m.perMS)
	} else {
		var u uint64
		u, err = unsigned(w, v, m.max)
		n = uint32(u)
	}
	if err != nil {
		return err
	}
	m.set(metrics, n, lock)
	return nil
}

var routeWords = []string{"inet", "inet6", "src", "via", "tos", "table", "protocol", "scope", "metric", "dev", "onlink",
	"realms", "add", "prepend", "append", "no_track", "nexthop", "to", "mtu", "rto_min", "hoplimit", "advmss",
	"rtt", "rttvar", "reordering", "window", "cwnd", "ssthresh", "initcwnd", "initrwnd", "quickack",
	"fastopen_no_cookie", "features", "congctl", "blackhole", "unreachable", "prohibit", "unicast"}

// routeAddr reads the address after kw and records its family.
func routeAddr(t *tokens, kw string, fam *family) (netip.Addr, error) {
	v, err := t.value(kw)
	if err != nil {
		return netip.Addr{}, err
	}
	a, err := parseAddr(v)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s: %v", kw, err)
	}
	return a, fam.add(a.Is6())
}

func namedValue[T uint8 | uint32](t *tokens, kw string, names map[string]T, max uint64, what string) (T, error) {
	v, err := t.value(kw)
	if err != nil {
		return 0, err
	}
	return named(kw, v, names, max, what)
}

func numValue[T uint8 | uint32 | uint64](t *tokens, kw string, max uint64) (T, error) {
	v, err := t.value(kw)
	if err != nil {
		return 0, err
	}
	n, err := unsigned(kw, v, max)
	return T(n), err
}

func ifValue(t *tokens, kw string) (string, error) {
	v, err := t.value(kw)
	if err == nil {
		err = checkIfName(v)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %v", kw, err)
	}
	return v, nil
}

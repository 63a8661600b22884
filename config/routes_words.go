package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// iproute2's built-in names for the numbers route and rule entries take. Names that
// iproute2 reads from /etc/iproute2 (rt_tables, rt_protos, rt_realms, rt_dsfield) beyond
// these are not read: the config means the same on every host, so write the number.
var (
	routeTables = map[string]uint32{"default": 253, "main": 254, "local": 255}
	routeTypes  = map[string]uint8{"unicast": 1, "local": 2, "broadcast": 3, "anycast": 4, "multicast": 5,
		"blackhole": 6, "unreachable": 7, "prohibit": 8, "throw": 9, "nat": 10, "xresolve": 11}
	routeScopes = map[string]uint8{"global": 0, "universe": 0, "site": 200, "link": 253, "host": 254, "nowhere": 255}
	routeProtos = map[string]uint8{"unspec": 0, "redirect": 1, "kernel": 2, "boot": 3, "static": 4, "gated": 8,
		"ra": 9, "mrt": 10, "zebra": 11, "bird": 12, "dnrouted": 13, "xorp": 14, "ntk": 15, "dhcp": 16,
		"keepalived": 18, "babel": 42, "openr": 99, "bgp": 186, "isis": 187, "ospf": 188, "rip": 189, "eigrp": 192}
	ipProtos = map[string]uint8{"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
		"ipv6-icmp": 58, "icmpv6": 58, "ospf": 89, "sctp": 132, "udplite": 136}
)

// tokens walks the words of one entry.
type tokens struct {
	f []string
	i int
}

func (t *tokens) more() bool   { return t.i < len(t.f) }
func (t *tokens) peek() string { return t.f[t.i] }
func (t *tokens) next() string { s := t.f[t.i]; t.i++; return s }

// value returns the word after keyword kw.
func (t *tokens) value(kw string) (string, error) {
	if !t.more() {
		return "", fmt.Errorf("%s needs a value", kw)
	}
	return t.next(), nil
}

// unsigned parses a number in C's forms (decimal, 0x hex, 0 octal) up to max.
func unsigned(kw, s string, max uint64) (uint64, error) {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil || v > max {
		return 0, fmt.Errorf("%s %q is not a number from 0 to %d", kw, s, max)
	}
	return v, nil
}

// named reads a number or one of iproute2's names for it.
func named[T uint8 | uint32](kw, s string, names map[string]T, max uint64, what string) (T, error) {
	if v, ok := names[s]; ok {
		return v, nil
	}
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil || v > max {
		list := make([]string, 0, len(names))
		for n := range names {
			list = append(list, n)
		}
		return 0, fmt.Errorf("%s %q is not a number from 0 to %d or a %s name%s (halvs does not read /etc/iproute2; write the number)",
			kw, s, max, what, suggestValue(s, list))
	}
	return T(v), nil
}

// realms parses "TO" or "FROM/TO" (numbers; names need /etc/iproute2/rt_realms).
func realms(s string) (uint32, error) {
	from, to, two := strings.Cut(s, "/")
	if !two {
		from, to = "0", s
	}
	f, err1 := strconv.ParseUint(from, 0, 16)
	t, err2 := strconv.ParseUint(to, 0, 16)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("realms %q is not TO or FROM/TO with numbers from 0 to 65535 (halvs does not read /etc/iproute2/rt_realms)", s)
	}
	return uint32(f)<<16 | uint32(t), nil
}

// routePrefix parses a destination or source prefix ("10.0.0.0/8", an address alone as
// its host prefix, "default" as 0/0 of family v6). Host bits must be clear: the kernel
// refuses them, and a reader would wonder which was meant.
func routePrefix(kw, s string, v6 bool) (netip.Prefix, error) {
	if s == "default" || s == "all" {
		if v6 {
			return netip.MustParsePrefix("::/0"), nil
		}
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	p, err := parsePrefixOrAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: %v", kw, err)
	}
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%s %s has host bits set; write %s", kw, s, p.Masked())
	}
	return p, nil
}

// timeRTT parses rtt, rttvar and rto_min as iproute2 does: a plain number is the kernel's
// raw value, one with s or ms is converted with perMS raw units to the millisecond.
func timeRTT(kw, s string, perMS uint64) (uint32, error) {
	num, mult := s, uint64(0)
	for _, u := range []struct {
		suffix string
		ms     uint64
	}{{"msecs", 1}, {"msec", 1}, {"ms", 1}, {"secs", 1000}, {"sec", 1000}, {"s", 1000}} {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.ms*perMS
			break
		}
	}
	v, err := strconv.ParseUint(num, 10, 32)
	if err == nil && mult > 0 {
		v *= mult
	}
	if err != nil || v > 1<<32-1 {
		return 0, fmt.Errorf("%s %q is not a time such as 200ms or 1s, or a raw number", kw, s)
	}
	return uint32(v), nil
}

// portRange parses "A" or "A-B".
func portRange(kw, s string) ([2]uint16, error) {
	a, b, two := strings.Cut(s, "-")
	if !two {
		b = a
	}
	x, err1 := strconv.ParseUint(a, 10, 16)
	y, err2 := strconv.ParseUint(b, 10, 16)
	if err1 != nil || err2 != nil || x > y || y == 0 {
		return [2]uint16{}, fmt.Errorf("%s %q is not a port or a range of ports such as 1024-2047", kw, s)
	}
	return [2]uint16{uint16(x), uint16(y)}, nil
}

// family records the address family an entry's words imply and refuses a mix.
type family struct{ set, v6 bool }

func (f *family) add(v6 bool) error {
	if f.set && f.v6 != v6 {
		return fmt.Errorf("mixes IPv4 and IPv6 addresses; one entry is of one family")
	}
	f.set, f.v6 = true, v6
	return nil
}

package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxIfName is the longest interface name or address label the kernel takes (IFNAMSIZ-1).
const maxIfName = 15

// checkIfName refuses what can name no network interface: empty, or longer than the kernel's
// limit (keepalived refuses those too).
func checkIfName(s string) error {
	switch {
	case s == "":
		return errors.New("must name a network interface such as \"eth0\"")
	case len(s) > maxIfName:
		return fmt.Errorf("%q is %d characters; interface names have at most %d", s, len(s), maxIfName)
	}
	return nil
}

// parsePrefixOrAddr parses "10.1.1.1/24" or "10.1.1.1" (as /32; /128 for IPv6). The host
// bits are kept: a VIP is an address with a prefix length, not a network.
func parsePrefixOrAddr(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address with a prefix length such as 10.10.10.22/24", s)
		}
		if p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q: zones are not allowed here", s)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address such as 10.10.10.22 or 2001:db8::1", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseAddr parses a plain address with a helpful message.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address such as 10.10.10.22 or 2001:db8::1", s)
	}
	return a.Unmap(), nil
}

// parseAddrPort parses "10.1.1.1:80", "[2001:db8::1]:80" or, when portOptional, a bare
// address (port 0).
func parseAddrPort(s string, portOptional bool) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
		// "2001:db8::5:80" could be an address or an address and a port.
		return netip.AddrPort{}, fmt.Errorf("%q: put an IPv6 address in brackets, e.g. \"[2001:db8::1]:80\"", s)
	}
	if portOptional {
		bare := s
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			bare = s[1 : len(s)-1]
		}
		if a, err := netip.ParseAddr(bare); err == nil && a.Zone() == "" && (a.Is4() || bare != s) {
			return netip.AddrPortFrom(a.Unmap(), 0), nil
		}
	}
	return netip.AddrPort{}, fmt.Errorf("%q is not ADDRESS:PORT such as \"10.10.10.22:80\" or \"[2001:db8::1]:80\"", s)
}

// trackEntry is the parsed form of "NAME [weight N] [reverse|noreverse]".
type trackEntry struct {
	name      string
	weight    int
	hasWeight bool
	reverse   bool
}

func parseTrack(s string, min, max int) (trackEntry, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return trackEntry{}, errors.New("empty entry")
	}
	t := trackEntry{name: f[0]}
	for i := 1; i < len(f); i++ {
		switch f[i] {
		case "weight":
			if i+1 >= len(f) {
				return trackEntry{}, fmt.Errorf("weight needs a number from %d to %d", min, max)
			}
			i++
			n, err := strconv.Atoi(f[i])
			if err != nil || n < min || n > max {
				return trackEntry{}, fmt.Errorf("weight %q must be a whole number from %d to %d", f[i], min, max)
			}
			t.weight, t.hasWeight = n, true
		case "reverse":
			t.reverse = true
		case "noreverse", "no_reverse":
			t.reverse = false
		default:
			return trackEntry{}, fmt.Errorf("unexpected %q; the form is \"NAME [weight N] [reverse]\"", f[i])
		}
	}
	return t, nil
}

// parseUserGroup splits keepalived's "USER [GROUP]".
func parseUserGroup(s string) (user, group string, err error) {
	f := strings.Fields(s)
	switch len(f) {
	case 1:
		return f[0], "", nil
	case 2:
		return f[0], f[1], nil
	}
	return "", "", fmt.Errorf("%q must be \"USER\" or \"USER GROUP\"", s)
}

// parseAddrRange parses a virtual_server_group vip entry: "10.1.1.1:80", "10.1.1.3-5:80"
// (the last part of the address varies), "10.1.1.250-10.1.2.10:80" or the IPv6 forms in
// brackets: "[2001:db8::1-10]:80"; or a subnet, every address of it: "10.1.1.0/29:80",
// "[2001:db8::/125]:80".
func parseAddrRange(s string) (AddrRange, error) {
	bad := fmt.Errorf("%q is not ADDRESS[-LAST]:PORT or SUBNET:PORT such as \"10.10.10.2:80\", \"10.10.10.3-5:80\" or \"10.10.10.0/29:80\"", s)
	host, portStr, ok := cutLast(s, ":")
	if !ok {
		return AddrRange{}, bad
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return AddrRange{}, bad
	}
	if strings.HasPrefix(host, "[") != strings.HasSuffix(host, "]") {
		return AddrRange{}, bad
	}
	if strings.HasPrefix(host, "[") {
		host = host[1 : len(host)-1]
	} else if strings.Contains(host, ":") {
		return AddrRange{}, fmt.Errorf("%q: put IPv6 addresses in brackets, e.g. \"[2001:db8::1-10]:80\"", s)
	}
	if strings.Contains(host, "/") {
		return parseSubnetRange(s, host, uint16(port), bad)
	}
	firstStr, lastStr, isRange := strings.Cut(host, "-")
	first, err := netip.ParseAddr(firstStr)
	if err != nil || first.Zone() != "" {
		return AddrRange{}, bad
	}
	r := AddrRange{First: first.Unmap(), Last: first.Unmap(), Port: uint16(port)}
	if !isRange {
		return r, nil
	}
	if last, err := netip.ParseAddr(lastStr); err == nil {
		r.Last = last.Unmap()
	} else {
		// Only the last byte (IPv4, decimal) or the last 16 bits (IPv6, hex) vary.
		b := r.First.AsSlice()
		if r.First.Is4() {
			n, err := strconv.ParseUint(lastStr, 10, 8)
			if err != nil {
				return AddrRange{}, bad
			}
			b[3] = byte(n)
		} else {
			n, err := strconv.ParseUint(lastStr, 16, 16)
			if err != nil {
				return AddrRange{}, bad
			}
			b[14], b[15] = byte(n>>8), byte(n)
		}
		r.Last, _ = netip.AddrFromSlice(b)
	}
	if r.First.Is4() != r.Last.Is4() || r.Last.Less(r.First) {
		return AddrRange{}, fmt.Errorf("%q: the range must run from a lower to a higher address of the same family", s)
	}
	return r, nil
}

// MinSubnetBits are the shortest prefixes a virtual_server_group subnet may have: 256 IPv4 or
// 65536 IPv6 services at most, the sizes a keepalived range (last byte, last 16 bits) reaches.
const (
	MinSubnetBits4 = 24
	MinSubnetBits6 = 112
)

// parseSubnetRange reads the host part "10.1.1.0/29" of a vip entry as the range of all its
// addresses, network and broadcast address included (IPVS serves whatever it is given).
func parseSubnetRange(s, host string, port uint16, bad error) (AddrRange, error) {
	p, err := netip.ParsePrefix(host)
	if err != nil || p.Addr().Zone() != "" || p.Addr().Is4In6() {
		return AddrRange{}, bad
	}
	a, bits := p.Addr(), p.Bits()
	minBits := MinSubnetBits4
	if a.Is6() {
		minBits = MinSubnetBits6
	}
	if bits < minBits {
		return AddrRange{}, fmt.Errorf("%q: a subnet here must be /%d or longer (at most %d services)", s, minBits, 1<<(a.BitLen()-minBits))
	}
	if p.Masked() != p {
		return AddrRange{}, fmt.Errorf("%q: %s has host bits set; write %s", s, p, p.Masked())
	}
	last := a.AsSlice()
	for i := bits; i < a.BitLen(); i++ {
		last[i/8] |= 0x80 >> (i % 8)
	}
	l, _ := netip.AddrFromSlice(last)
	return AddrRange{First: a, Last: l, Port: port}, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// parseStatusCodes parses "200", "200-299" or several separated by spaces.
func parseStatusCodes(s string) ([]StatusRange, error) {
	var out []StatusRange
	for _, f := range strings.Fields(s) {
		lo, hi, isRange := strings.Cut(f, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			return nil, fmt.Errorf("status code %q must be a code or a range from 100 to 599, e.g. \"200-299\"", f)
		}
		out = append(out, StatusRange{Min: a, Max: b})
	}
	if len(out) == 0 {
		return nil, errors.New("status_code is empty")
	}
	return out, nil
}

// validHex reports whether s is hex digits (spaces allowed, and X wildcards when wild).
func validHex(s string, wild bool) bool {
	for _, r := range s {
		switch {
		case r == ' ', r >= '0' && r <= '9', r >= 'a' && r <= 'f', r >= 'A' && r <= 'F':
		case wild && (r == 'x' || r == 'X'):
		default:
			return false
		}
	}
	return true
}

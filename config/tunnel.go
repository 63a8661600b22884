package config

import (
	"fmt"
	"strconv"
	"strings"
)

// TunnelType is a TUN real server's encapsulation: keepalived's "lvs_method TUN type gue".
type TunnelType string

// Tunnel types. IP-in-IP is the zero value: what TUN means without a type.
const (
	TunnelIPIP TunnelType = ""
	TunnelGUE  TunnelType = "gue"
	TunnelGRE  TunnelType = "gre"
)

// Tunnel is a TUN real server's encapsulation (Linux 5.2+; GRE 5.3+), written after the
// method as keepalived writes it: lvs_method = "TUN type gue port 6080 csum". The zero
// Tunnel is IP-in-IP.
type Tunnel struct {
	Type TunnelType
	Port uint16 // the GUE port: GUE only, and required there
	Csum string // "" (nocsum), "csum" or "remcsum" (GUE only); not for IP-in-IP
}

// String is the tunnel as keepalived writes it after TUN: "type gue port 6080 csum".
func (t Tunnel) String() string {
	if t == (Tunnel{}) {
		return "type ipip"
	}
	s := "type " + string(t.Type)
	if t.Port != 0 {
		s += " port " + strconv.Itoa(int(t.Port))
	}
	if t.Csum != "" {
		s += " " + t.Csum
	}
	return s
}

// parseMethod reads "METHOD [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]" with
// keepalived's rules (check_parser.c svr_forwarding_handler): the options belong to TUN, a
// gue tunnel and a port go together, ipip takes no checksum option and gre no remcsum.
func parseMethod(s string) (Method, Tunnel, error) {
	w := strings.Fields(s)
	if len(w) == 0 {
		return "", Tunnel{}, fmt.Errorf("is empty")
	}
	m := Method(w[0])
	switch m {
	case MethodNAT, MethodDR, MethodTUN:
	default:
		return "", Tunnel{}, fmt.Errorf("must be \"NAT\", \"DR\" or \"TUN\", not %q%s", w[0], suggestValue(w[0], []string{"NAT", "DR", "TUN"}))
	}
	var t Tunnel
	if len(w) > 1 && m != MethodTUN {
		return "", Tunnel{}, fmt.Errorf("%q: type, port and checksum options apply to TUN only", s)
	}
	for i := 1; i < len(w); i++ {
		switch w[i] {
		case "type", "port":
			if i+1 >= len(w) {
				return "", Tunnel{}, fmt.Errorf("%q: %s needs a value", s, w[i])
			}
			v := w[i+1]
			i++
			if w[i-1] == "port" {
				n, err := strconv.ParseUint(v, 10, 16)
				if err != nil || n == 0 {
					return "", Tunnel{}, fmt.Errorf("%q: port %q is not a number from 1 to 65535", s, v)
				}
				t.Port = uint16(n)
				continue
			}
			switch v {
			case "ipip":
				t.Type = TunnelIPIP
			case "gue", "gre":
				t.Type = TunnelType(v)
			default:
				return "", Tunnel{}, fmt.Errorf("%q: tunnel type must be ipip, gue or gre, not %q", s, v)
			}
		case "nocsum":
			t.Csum = ""
		case "csum", "remcsum":
			t.Csum = w[i]
		default:
			return "", Tunnel{}, fmt.Errorf("%q: unknown tunnel option %q (type, port, nocsum, csum, remcsum)", s, w[i])
		}
	}
	switch {
	case (t.Type == TunnelGUE) != (t.Port != 0):
		return "", Tunnel{}, fmt.Errorf("%q: a gue tunnel needs a port, and other tunnels take none", s)
	case t.Type == TunnelIPIP && t.Csum != "":
		return "", Tunnel{}, fmt.Errorf("%q: an ipip tunnel has no checksum option", s)
	case t.Type == TunnelGRE && t.Csum == "remcsum":
		return "", Tunnel{}, fmt.Errorf("%q: a gre tunnel has no remote checksum option (remcsum is gue only)", s)
	}
	return m, t, nil
}

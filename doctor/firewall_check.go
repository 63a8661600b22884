package doctor

import (
	"fmt"
	"strings"
)

// checkFirewall reports the firewall rules that drop VRRP (vrrp: on a director) or a
// service port arriving on ifaces.
func checkFirewall(sys System, r *Report, ifaces []string, svcs []Service, vrrp bool) {
	rs, err := sys.Firewall()
	if err != nil { // ErrNotChecked (no tool) or the tool failed
		r.skip("firewall: %v", err)
		return
	}
	bad, unsure := false, false
	verdict := func(what, ifc string, proto int, port uint16) (string, string) {
		v, rule := rs.Verdict(proto, port, ifc)
		if v == VerdictUnknown {
			unsure = true
			r.skip("firewall: %s arriving on %s not checked: whether the %s rules let it in depends on a rule this check cannot read: %s",
				what, ifc, rs.Tool, rule)
		}
		return v, rule
	}
	for _, ifc := range ifaces {
		if vrrp {
			if v, rule := verdict("VRRP", ifc, 112, 0); v == VerdictDrop {
				bad = true
				r.fail("firewall", fixFor(rs.Tool, ifc, 112, 0),
					"the %s rules drop VRRP (IP protocol 112) arriving on %s (%s): each director thinks the other is dead and both become MASTER", rs.Tool, ifc, decidedBy(rule))
			}
		}
		for _, s := range svcs {
			proto := protoNumbers[strings.ToLower(s.Protocol)]
			if proto == 0 {
				proto = 6
			}
			name := fmt.Sprintf("%s port %d", strings.ToUpper(orTCP(s.Protocol)), s.Port)
			if v, rule := verdict(name, ifc, proto, s.Port); v == VerdictDrop {
				bad = true
				r.fail("firewall", fixFor(rs.Tool, ifc, proto, s.Port),
					"the %s rules drop %s arriving on %s (%s)", rs.Tool, name, ifc, decidedBy(rule))
			}
		}
	}
	if !bad && !unsure {
		r.pass("%s rules let VRRP and the service ports in", rs.Tool)
	}
}

func orTCP(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}

func decidedBy(rule string) string {
	if rule == "" {
		return "the input policy is drop"
	}
	return "rule: " + rule
}

func fixFor(tool, iface string, proto int, port uint16) string {
	name := map[int]string{6: "tcp", 17: "udp", 132: "sctp", 112: "vrrp"}[proto]
	if tool == "nft" {
		if proto == 112 {
			return fmt.Sprintf("nft insert rule inet filter input iifname %s ip protocol vrrp accept", iface)
		}
		return fmt.Sprintf("nft insert rule inet filter input iifname %s %s dport %d accept", iface, name, port)
	}
	if proto == 112 {
		return fmt.Sprintf("iptables -I INPUT -i %s -p vrrp -j ACCEPT", iface)
	}
	return fmt.Sprintf("iptables -I INPUT -i %s -p %s --dport %d -j ACCEPT", iface, name, port)
}

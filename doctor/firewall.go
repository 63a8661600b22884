package doctor

import (
	"strconv"
	"strings"
)

// Ruleset is the part of a host firewall that decides over new incoming packets: the rules of
// the input path in order, and the policy at the end. Rules with matches this reader does not
// understand (connection state, marks, sets, jumps) are left out: they can neither be shown to
// accept nor to drop a new VRRP packet or connection, so the verdict falls through them.
type Ruleset struct {
	Tool   string // "nft" or "iptables"
	Rules  []Rule
	Policy string // "accept" or "drop"
}

// Rule is one understood rule: an L4 protocol (0: any), destination ports (none: any), an
// input interface ("" any) and the verdict ("accept", "drop").
type Rule struct {
	Proto   int
	Ports   []uint16
	Iface   string
	Verdict string
	Text    string // the rule as the tool printed it
}

// Verdict is what the ruleset does to a new packet of proto (6 TCP, 17 UDP, 112 VRRP) to port
// on iface, and the rule that decides it ("" for the policy).
func (rs Ruleset) Verdict(proto int, port uint16, iface string) (verdict, rule string) {
	for _, r := range rs.Rules {
		if r.Proto != 0 && r.Proto != proto || r.Iface != "" && r.Iface != iface {
			continue
		}
		if len(r.Ports) > 0 && !containsPort(r.Ports, port) {
			continue
		}
		return r.Verdict, r.Text
	}
	if rs.Policy == "" {
		return "accept", ""
	}
	return rs.Policy, ""
}

func containsPort(ps []uint16, p uint16) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

var protoNumbers = map[string]int{"tcp": 6, "udp": 17, "sctp": 132, "vrrp": 112, "112": 112, "6": 6, "17": 17}

// ParseIptablesSave reads the filter table's INPUT chain from iptables-save output.
func ParseIptablesSave(s string) Ruleset {
	rs := Ruleset{Tool: "iptables", Policy: "accept"}
	table := ""
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case table != "filter":
		case strings.HasPrefix(line, ":INPUT "):
			if f := strings.Fields(line); len(f) > 1 {
				rs.Policy = strings.ToLower(f[1])
			}
		case strings.HasPrefix(line, "-A INPUT "):
			if r, ok := parseIptablesRule(line); ok {
				rs.Rules = append(rs.Rules, r)
			}
		}
	}
	return rs
}

func parseIptablesRule(line string) (Rule, bool) {
	f := strings.Fields(line)
	r := Rule{Text: line}
	for i := 2; i < len(f); i++ {
		arg := func() string {
			if i+1 < len(f) {
				i++
				return f[i]
			}
			return ""
		}
		switch f[i] {
		case "-p":
			p, ok := protoNumbers[arg()]
			if !ok {
				return Rule{}, false
			}
			r.Proto = p
		case "-i":
			r.Iface = arg()
		case "--dport":
			p, err := strconv.ParseUint(arg(), 10, 16)
			if err != nil {
				return Rule{}, false // a range: not understood
			}
			r.Ports = []uint16{uint16(p)}
		case "-m":
			if m := arg(); m != "tcp" && m != "udp" && m != "comment" {
				return Rule{}, false
			}
		case "--comment":
			arg()
		case "-j":
			switch v := strings.ToLower(arg()); v {
			case "accept":
				r.Verdict = "accept"
			case "drop", "reject":
				r.Verdict = "drop"
			default:
				return Rule{}, false
			}
		default:
			return Rule{}, false
		}
	}
	return r, r.Verdict != ""
}

// ParseNft reads the chains hooked to input from `nft list ruleset`. Several input chains are
// merged in order (a packet must pass each); a drop policy in any of them wins.
func ParseNft(s string) Ruleset {
	rs := Ruleset{Tool: "nft", Policy: "accept"}
	inInput, depth := false, 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "chain ") && strings.HasSuffix(line, "{"):
			depth, inInput = 1, false
			continue
		case !inInput && depth == 1 && strings.HasPrefix(line, "type filter hook input"):
			inInput = true
			if strings.Contains(line, "policy drop") {
				rs.Policy = "drop"
			}
			continue
		case line == "}":
			depth, inInput = 0, false
			continue
		}
		if !inInput || line == "" {
			continue
		}
		if r, ok := parseNftRule(line); ok {
			rs.Rules = append(rs.Rules, r)
		}
	}
	return rs
}

func parseNftRule(line string) (Rule, bool) {
	f := strings.Fields(line)
	r := Rule{Text: line}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "counter":
			for i+1 < len(f) && (f[i+1] == "packets" || f[i+1] == "bytes") {
				i += 2
			}
		case "iifname", "iif":
			if i+1 < len(f) {
				i++
				r.Iface = strings.Trim(f[i], `"`)
			}
		case "ip", "meta", "ip6":
			if i+2 < len(f) && (f[i+1] == "protocol" || f[i+1] == "l4proto" || f[i+1] == "nexthdr") {
				p, ok := protoNumbers[f[i+2]]
				if !ok {
					return Rule{}, false
				}
				r.Proto, i = p, i+2
			} else {
				return Rule{}, false
			}
		case "tcp", "udp":
			if i+2 < len(f) && f[i+1] == "dport" {
				r.Proto = protoNumbers[f[i]]
				i += 2
				if f[i] == "{" {
					for i++; i < len(f) && f[i] != "}"; i++ {
						p, err := strconv.ParseUint(strings.TrimSuffix(f[i], ","), 10, 16)
						if err != nil {
							return Rule{}, false
						}
						r.Ports = append(r.Ports, uint16(p))
					}
				} else {
					p, err := strconv.ParseUint(f[i], 10, 16)
					if err != nil {
						return Rule{}, false
					}
					r.Ports = []uint16{uint16(p)}
				}
			} else {
				return Rule{}, false
			}
		case "accept":
			r.Verdict = "accept"
			return r, true
		case "drop", "reject": // "reject with icmp ..." ends the rule too
			r.Verdict = "drop"
			return r, true
		default:
			return Rule{}, false
		}
	}
	return Rule{}, false
}

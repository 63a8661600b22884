package doctor

import (
	"slices"
	"strings"
)

// Ruleset is the part of a host firewall that decides over new incoming packets: the rules of
// the input path in order, and the policy at the end. Rules that can never decide a new packet
// (connection state ESTABLISHED/RELATED only, log and mark targets, counters) are left out.
// Rules with matches this reader does not understand are kept as Partial: such a rule may or
// may not match, so it can make a verdict uncertain but never decides one.
type Ruleset struct {
	Tool   string // "nft" or "iptables"
	Rules  []Rule
	Policy string // "accept" or "drop"
}

// Rule is one rule: the L4 protocols it matches (none: any), destination port ranges (none:
// any), input interfaces ("eth+" / "eth*" a prefix; none: any) and its verdict.
type Rule struct {
	Protos  []int
	Ports   []PortRange
	Ifaces  []string
	Verdict string // "accept", "drop", or "jump": another chain (or a queue) decides
	// Partial: the rule has matches this reader does not understand (source addresses,
	// negations, rate limits, ...). Whether it matches a given packet is unknown.
	Partial bool
	Text    string // the rule as the tool printed it
}

// PortRange is an inclusive range of ports; a single port has Lo == Hi.
type PortRange struct{ Lo, Hi uint16 }

// Verdicts of Ruleset.Verdict.
const (
	VerdictAccept  = "accept"
	VerdictDrop    = "drop"
	VerdictUnknown = "unknown"
)

// Verdict is what the ruleset does to a new packet of proto (6 TCP, 17 UDP, 112 VRRP) to port
// on iface, and the rule that decides it ("" for the policy). It is VerdictUnknown, with the
// rule at fault, when a rule this reader cannot follow may change the outcome: a jump to
// another chain that may match, or a Partial accept that may match before the rule (or the
// policy) that would drop. A Partial drop is passed over: it is no proof of a drop.
func (rs Ruleset) Verdict(proto int, port uint16, iface string) (verdict, rule string) {
	uncertain := "" // the first Partial accept that may match
	decide := func(v, text string) (string, string) {
		if v == VerdictDrop && uncertain != "" {
			return VerdictUnknown, uncertain
		}
		return v, text
	}
	for _, r := range rs.Rules {
		switch {
		case !r.mayMatch(proto, port, iface):
		case r.Verdict == "jump":
			return VerdictUnknown, r.Text
		case r.Partial:
			if r.Verdict == VerdictAccept && uncertain == "" {
				uncertain = r.Text
			}
		default:
			return decide(r.Verdict, r.Text)
		}
	}
	if rs.Policy == "" {
		return VerdictAccept, ""
	}
	return decide(rs.Policy, "")
}

// mayMatch: the rule's understood matches let the packet through (its Partial ones may not).
func (r Rule) mayMatch(proto int, port uint16, iface string) bool {
	if len(r.Protos) > 0 && !slices.Contains(r.Protos, proto) {
		return false
	}
	if len(r.Ifaces) > 0 && !slices.ContainsFunc(r.Ifaces, func(p string) bool { return ifaceMatch(p, iface) }) {
		return false
	}
	if len(r.Ports) > 0 {
		if proto != 6 && proto != 17 && proto != 132 {
			return false // a port match needs a protocol with ports
		}
		return slices.ContainsFunc(r.Ports, func(pr PortRange) bool { return pr.Lo <= port && port <= pr.Hi })
	}
	return true
}

// ifaceMatch: iptables' "eth+" and nft's "eth*" match every name with that prefix.
func ifaceMatch(pattern, iface string) bool {
	if p, ok := strings.CutSuffix(pattern, "+"); ok {
		return strings.HasPrefix(iface, p)
	}
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(iface, p)
	}
	return pattern == iface
}

var protoNumbers = map[string]int{"tcp": 6, "udp": 17, "sctp": 132, "vrrp": 112, "icmp": 1, "ipv6-icmp": 58,
	"icmpv6": 58, "112": 112, "6": 6, "17": 17, "132": 132, "1": 1, "58": 58}

// stateMatch says what a connection-state match does for a new packet: it matches (the
// states include NEW), never matches (only ESTABLISHED, RELATED, INVALID), or is not
// understood (UNTRACKED, ...).
func stateMatch(states []string) (matches, never bool) {
	for _, s := range states {
		switch strings.ToLower(s) {
		case "new":
			return true, false
		case "established", "related", "invalid":
		default:
			return false, false
		}
	}
	return false, true
}

// fields splits a rule into words, a double-quoted string (a comment, an interface name)
// being one word.
func fields(line string) []string {
	var out []string
	var b strings.Builder
	quoted, in := false, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted, in = !quoted, true
			b.WriteRune(c)
		case (c == ' ' || c == '\t') && !quoted:
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteRune(c)
			in = true
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}

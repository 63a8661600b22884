package doctor

import (
	"strconv"
	"strings"
)

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

// nonTerminal are iptables targets after which the packet goes on to the next rule.
var nonTerminal = map[string]bool{"LOG": true, "NFLOG": true, "ULOG": true, "MARK": true, "CONNMARK": true,
	"TRACE": true, "AUDIT": true, "CT": true, "NOTRACK": true, "TOS": true, "DSCP": true, "TCPMSS": true,
	"SET": true, "CLASSIFY": true, "TTL": true, "HL": true, "SECMARK": true, "CONNSECMARK": true, "CHECKSUM": true}

// parseIptablesRule reads one -A INPUT line; false when the rule cannot decide a new packet.
func parseIptablesRule(line string) (Rule, bool) {
	f := fields(line)
	r := Rule{Text: line}
	neg := false
	for i := 2; i < len(f); i++ {
		opt := f[i]
		if opt == "!" {
			neg = true
			continue
		}
		// values are the words up to the next option
		var vals []string
		for i+1 < len(f) && !strings.HasPrefix(f[i+1], "-") && f[i+1] != "!" {
			i++
			vals = append(vals, f[i])
		}
		val := strings.Join(vals, " ")
		switch {
		case opt == "-j" || opt == "-g":
			switch t := strings.ToUpper(val); {
			case opt == "-g":
				r.Verdict = "jump"
			case t == "ACCEPT":
				r.Verdict = VerdictAccept
			case t == "DROP" || t == "REJECT":
				r.Verdict = VerdictDrop
			case nonTerminal[t]:
				return Rule{}, false
			default: // a user chain, RETURN, QUEUE, NFQUEUE: decided elsewhere
				r.Verdict = "jump"
			}
		case opt == "-m" || opt == "--comment":
			// the module's options are what match
		case neg:
			r.Partial = true // a negated match: not understood
		case opt == "-p" || opt == "--protocol":
			if val == "all" {
				break
			}
			if p, ok := protoNumbers[strings.ToLower(val)]; ok {
				r.Protos = []int{p}
			} else {
				r.Partial = true
			}
		case opt == "-i" || opt == "--in-interface":
			r.Ifaces = []string{val}
		case opt == "--dport" || opt == "--destination-port" || opt == "--dports" || opt == "--destination-ports":
			ports, ok := parsePorts(strings.Split(val, ","), ":")
			r.Ports, r.Partial = ports, r.Partial || !ok
		case opt == "--state" || opt == "--ctstate":
			matches, never := stateMatch(strings.Split(val, ","))
			if never {
				return Rule{}, false
			}
			r.Partial = r.Partial || !matches
		default:
			r.Partial = true
		}
		neg = false
	}
	return r, r.Verdict != ""
}

// parsePorts reads "22", "1000:2000" (sep ":" for iptables, "-" for nft) into ranges; false
// when a word is not a port (a named service): then the ports are not understood.
func parsePorts(words []string, sep string) ([]PortRange, bool) {
	var out []PortRange
	for _, w := range words {
		w = strings.Trim(w, ",{} ")
		if w == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(w, sep)
		l, err1 := strconv.ParseUint(lo, 10, 16)
		h, err2 := l, error(nil)
		if isRange {
			h, err2 = strconv.ParseUint(hi, 10, 16)
		}
		if err1 != nil || err2 != nil {
			return nil, false
		}
		out = append(out, PortRange{uint16(l), uint16(h)})
	}
	return out, len(out) > 0
}

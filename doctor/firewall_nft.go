package doctor

import (
	"strings"
)

// ParseNft reads the chains hooked to input from `nft list ruleset`. Several input chains are
// merged in order (a packet must pass each); a drop policy in any of them wins. Chains
// without a hook are reached only by jumps, which Verdict does not follow.
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

// nftValues reads a match's value at f[i]: one word, or a set "{ a, b }"; it returns the
// values and the index of the last word read.
func nftValues(f []string, i int) ([]string, int) {
	if i >= len(f) {
		return nil, i
	}
	if f[i] != "{" {
		return strings.Split(strings.Trim(f[i], `"`), ","), i
	}
	var out []string
	for i++; i < len(f) && f[i] != "}"; i++ {
		if v := strings.Trim(f[i], `",`); v != "" {
			out = append(out, v)
		}
	}
	return out, i
}

// parseNftRule reads one rule of an input chain; false when it cannot decide a new packet.
func parseNftRule(line string) (Rule, bool) {
	f := fields(line)
	r := Rule{Text: line}
	for i := 0; i < len(f); i++ {
		// A "!=" after a match's selector negates it: not understood.
		negated := func(at int) bool { return at < len(f) && f[at] == "!=" }
		switch w := f[i]; w {
		case "counter":
			for i+1 < len(f) && (f[i+1] == "packets" || f[i+1] == "bytes") {
				i += 2
			}
		case "log":
			for i+2 < len(f) && strings.Contains(" prefix level group snaplen queue-threshold flags ", " "+f[i+1]+" ") {
				i += 2
			}
		case "comment":
			i++
		case "iifname", "iif":
			if negated(i + 1) {
				r.Partial, i = true, i+1
				continue
			}
			r.Ifaces, i = nftValues(f, i+1)
		case "ip", "meta", "ip6":
			if i+1 < len(f) && (f[i+1] == "protocol" || f[i+1] == "l4proto" || f[i+1] == "nexthdr") && !negated(i+2) {
				var names []string
				names, i = nftValues(f, i+2)
				for _, n := range names {
					p, ok := protoNumbers[n]
					if !ok {
						// an unknown protocol in the set: the rule may match anything
						r.Partial, r.Protos = true, nil
						break
					}
					r.Protos = append(r.Protos, p)
				}
			} else {
				r.Partial = true
			}
		case "tcp", "udp", "sctp":
			if i+1 < len(f) && f[i+1] == "dport" && !negated(i+2) {
				r.Protos = []int{protoNumbers[w]}
				var words []string
				words, i = nftValues(f, i+2)
				ports, ok := parsePorts(words, "-")
				r.Ports, r.Partial = ports, r.Partial || !ok
			} else {
				r.Partial = true
			}
		case "ct":
			if i+2 < len(f) && f[i+1] == "state" && f[i+2] == "vmap" {
				return nftStateVmap(f, i+3, r)
			}
			if i+1 < len(f) && f[i+1] == "state" && !negated(i+2) {
				var states []string
				states, i = nftValues(f, i+2)
				matches, never := stateMatch(states)
				if never {
					return Rule{}, false
				}
				r.Partial = r.Partial || !matches
			} else {
				r.Partial = true
			}
		case "accept":
			r.Verdict = VerdictAccept
			return r, true
		case "drop", "reject": // "reject with icmp ..." ends the rule too
			r.Verdict = VerdictDrop
			return r, true
		case "jump", "goto", "queue", "return":
			r.Verdict = "jump"
			return r, true
		case "continue":
			return Rule{}, false
		default:
			r.Partial = true
		}
	}
	return Rule{}, false // no verdict: the packet goes on
}

// nftStateVmap reads "ct state vmap { invalid : drop, established : accept, new : jump x }"
// from f[i] on: only the verdict for new packets counts.
func nftStateVmap(f []string, i int, r Rule) (Rule, bool) {
	if i >= len(f) || f[i] != "{" {
		r.Partial, r.Verdict = true, "jump" // a named map: its verdicts are elsewhere
		return r, true
	}
	var entry []string
	for i++; i < len(f) && f[i] != "}"; i++ {
		w, end := strings.CutSuffix(f[i], ",")
		entry = append(entry, w)
		if !end && i+1 < len(f) && f[i+1] != "}" {
			continue
		}
		// entry is: state ":" verdict [chain]
		if len(entry) >= 3 && entry[0] == "new" && entry[1] == ":" {
			switch entry[2] {
			case "accept":
				r.Verdict = VerdictAccept
			case "drop", "reject":
				r.Verdict = VerdictDrop
			case "continue":
				return Rule{}, false
			default:
				r.Verdict = "jump"
			}
			return r, true
		}
		entry = entry[:0]
	}
	return Rule{}, false // no verdict for new packets: they go on
}

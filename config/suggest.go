package config

import (
	"fmt"
	"strings"

	"github.com/agext/levenshtein"
)

// renamed maps keepalived words that halvs spells differently to a hint.
var renamed = map[string]string{
	"global_defs":  `the block is called "global" in halvs`,
	"no_accept":    `write accept = false`,
	"preempt":      `preempt is the default; write nopreempt = false`,
	"nb_get_retry": `use retry`,
	"mcast_src_ip": `use unicast_src_ip, or leave it out: halvs uses the interface's primary address`,
	"bfd_check":    noBFD,
	"BFD_CHECK":    noBFD,
	"track_bfd":    noBFD,
	"bfd_instance": noBFD,
}

// noBFD is why halvs refuses keepalived's BFD keywords.
const noBFD = `halvs has no BFD: no maintained Go BFD implementation interoperates with keepalived's or FRR's bfdd; ` +
	`check real servers with tcp_check or ping_check, and let VRRP itself watch the peer`

// suggest returns "; did you mean ..." for an unknown keyword of the HCL schema: the hint
// for a keepalived word halvs spells differently, else Suggest's.
func suggest(name string, primary, secondary []string) string {
	if hint, ok := renamed[name]; ok {
		return "; " + hint
	}
	return Suggest(name, primary, secondary)
}

// Suggest returns "; did you mean %q?" naming the word of the lists closest to name, ignoring
// case and -/_ (keepalived users type TCP_CHECK for tcp_check), or "" when none is close: at
// most 3 edits and at most half the name's length. The first list wins ties, then the order
// of the words, so callers pass sorted lists for a stable answer.
func Suggest(name string, lists ...[]string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	best, bestDist := "", 4
	for _, list := range lists {
		for _, k := range list {
			if norm(k) == norm(name) {
				return fmt.Sprintf("; did you mean %q?", k)
			}
			if d := levenshtein.Distance(norm(name), norm(k), nil); d < bestDist {
				best, bestDist = k, d
			}
		}
	}
	if best == "" || bestDist > len(name)/2 {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// suggestValue returns "; did you mean X?" for a wrong enum value such as "master".
func suggestValue(got string, allowed []string) string {
	for _, a := range allowed {
		if strings.EqualFold(a, got) {
			return fmt.Sprintf("; did you mean %q?", a)
		}
	}
	return ""
}

package config

import (
	"fmt"
	"github.com/agext/levenshtein"
	"strings"
)

// renamed maps keepalived words that halvs spells differently to a hint.
var renamed = map[string]string{
	"global_defs":  `the block is called "global" in halvs`,
	"no_accept":    `write accept = false`,
	"preempt":      `preempt is the default; write nopreempt = false`,
	"nb_get_retry": `use retry`,
	"mcast_src_ip": `use unicast_src_ip, or leave it out: halvs uses the interface's primary address`,
}

// suggest returns "; did you mean ..." for an unknown keyword: the known name closest to it,
// ignoring case and -/_ (keepalived users type TCP_CHECK for tcp_check).
func suggest(name string, primary, secondary []string) string {
	if hint, ok := renamed[name]; ok {
		return "; " + hint
	}
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	best, bestDist := "", 4
	for _, list := range [][]string{primary, secondary} {
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

package config

import (
	"fmt"
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
			if d := editDistance(norm(name), norm(k)); d < bestDist {
				best, bestDist = k, d
			}
		}
	}
	if best == "" || bestDist > len(name)/2 {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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

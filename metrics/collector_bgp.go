package metrics

import (
	"github.com/halvs/halvs/control"
	"github.com/prometheus/client_golang/prometheus"
)

// The BGP series of an active-active director (a bgp block): each session's state and each
// prefix's announcement, as `halvs status` shows them.
var (
	bgpNeighborUp = desc("halvs_bgp_neighbor_up", "1 if the BGP session with the neighbor is ESTABLISHED.", "neighbor")
	bgpAnnounced  = desc("halvs_bgp_prefix_announced", "1 if the prefix is announced to the BGP neighbors, 0 if withdrawn (quorum lost, drained or stopping).", "prefix", "announce")
	bgpDrained    = desc("halvs_bgp_drained", "1 while the director is drained (halvs drain, or stopping).")

	bgpDescs = []*prometheus.Desc{bgpNeighborUp, bgpAnnounced, bgpDrained}
)

func collectBGP(ch chan<- prometheus.Metric, b *control.BGP) {
	if b == nil {
		return
	}
	for _, n := range b.Neighbors {
		ch <- gauge(bgpNeighborUp, b2f(n.Up), n.Address)
	}
	for _, p := range b.Prefixes {
		ch <- gauge(bgpAnnounced, b2f(p.Announced), p.Prefix, p.Announce)
	}
	ch <- gauge(bgpDrained, b2f(b.Drained))
}

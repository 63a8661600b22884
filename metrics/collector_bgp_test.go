package metrics

import (
	"strings"
	"testing"

	"github.com/halvs/halvs/control"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestBGPSeries(t *testing.T) {
	f := newFake()
	m := New(f.Status, "test")
	f.update(func(st *control.Status) {
		st.BGP = &control.BGP{ASN: 65010, RouterID: "10.0.0.11",
			Neighbors: []control.BGPNeighbor{{Address: "10.0.0.1", PeerASN: 65000, State: "ESTABLISHED", Up: true},
				{Address: "10.0.0.2", PeerASN: 65000, State: "ACTIVE"}},
			Prefixes: []control.BGPPrefix{{Prefix: "10.10.10.22/32", Announce: "web", Announced: true},
				{Prefix: "10.10.10.53/32", Announce: "dns", Reason: "virtual server 10.10.10.53:53 lost quorum"}},
		}
	})
	want := `# HELP halvs_bgp_neighbor_up 1 if the BGP session with the neighbor is ESTABLISHED.
# TYPE halvs_bgp_neighbor_up gauge
halvs_bgp_neighbor_up{neighbor="10.0.0.1"} 1
halvs_bgp_neighbor_up{neighbor="10.0.0.2"} 0
# HELP halvs_bgp_prefix_announced 1 if the prefix is announced to the BGP neighbors, 0 if withdrawn (quorum lost, drained or stopping).
# TYPE halvs_bgp_prefix_announced gauge
halvs_bgp_prefix_announced{announce="dns",prefix="10.10.10.53/32"} 0
halvs_bgp_prefix_announced{announce="web",prefix="10.10.10.22/32"} 1
# HELP halvs_bgp_drained 1 while the director is drained (halvs drain, or stopping).
# TYPE halvs_bgp_drained gauge
halvs_bgp_drained 0
`
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), "halvs_bgp_neighbor_up", "halvs_bgp_prefix_announced", "halvs_bgp_drained"); err != nil {
		t.Error(err)
	}
	f.update(func(st *control.Status) { st.BGP = nil })
	if n, err := testutil.GatherAndCount(m.reg, "halvs_bgp_neighbor_up", "halvs_bgp_prefix_announced", "halvs_bgp_drained"); err != nil || n != 0 {
		t.Errorf("without a bgp block: %d BGP series (%v), want none", n, err)
	}
}

package lvs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMemoryStats(t *testing.T) {
	m := NewMemory()
	web := tcp("10.10.10.22:80")
	seed(t, m, vs(svc(web, "wrr"), dst("10.10.10.31:80", DR, 3), dst("10.10.10.32:80", DR, 1)),
		vs(svc(udp("10.10.10.22:53"), "rr")))
	m.SetStats(ServiceStats{Key: web, Stats: Stats{Connections: 10, PacketsIn: 40, BytesIn: 4000},
		Destinations: []DestinationStats{
			{Addr: netipAP("10.10.10.31:80"), ActiveConns: 4, InactiveConns: 7, Stats: Stats{Connections: 8}},
			{Addr: netipAP("10.10.10.99:80"), ActiveConns: 1}, // not in the table: not reported
		}})
	got, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := []ServiceStats{
		{Key: web, Stats: Stats{Connections: 10, PacketsIn: 40, BytesIn: 4000}, Destinations: []DestinationStats{
			{Addr: netipAP("10.10.10.31:80"), Weight: 3, ActiveConns: 4, InactiveConns: 7, Stats: Stats{Connections: 8}},
			{Addr: netipAP("10.10.10.32:80"), Weight: 1},
		}},
		{Key: udp("10.10.10.22:53")},
	}
	if diff := cmp.Diff(want, got, equateNet); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	var _ StatsReader = m
	var _ StatsReader = (*Kernel)(nil)
}

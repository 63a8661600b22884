package lvs

import (
	"net/netip"
	"slices"
)

// Stats are IPVS's cumulative counters of a service or of one of its destinations, as
// `ipvsadm -L --stats` shows them, and its rates. The counters only grow, except when the
// object is re-created.
type Stats struct {
	Connections uint64
	PacketsIn   uint64 // client to service
	PacketsOut  uint64
	BytesIn     uint64
	BytesOut    uint64
	Rates       Rates
}

// Rates are IPVS's per-second rates of a service or destination as its estimator computes
// them (an average the kernel updates every 2 s), as `ipvsadm -L --rate` shows them.
type Rates struct {
	CPS    uint64 // connections
	InPPS  uint64 // packets, client to service
	OutPPS uint64
	InBPS  uint64 // bytes
	OutBPS uint64
}

// DestinationStats are one destination's counters, its current connections and the weight
// the table holds.
type DestinationStats struct {
	Addr          netip.AddrPort
	Weight        int
	ActiveConns   uint64 // ESTABLISHED (ipvsadm ActiveConn)
	InactiveConns uint64 // every other state (ipvsadm InActConn)
	Stats
}

// ServiceStats are one service's counters and its destinations'.
type ServiceStats struct {
	Key          ServiceKey
	Stats        Stats
	Destinations []DestinationStats
}

// StatsReader reads the kernel's counters for every service in the table. It is apart from
// Backend because the reconciler never needs it: status and metrics read it, and a backend
// that cannot count simply does not implement it.
type StatsReader interface {
	Stats() ([]ServiceStats, error)
}

// Stats implements StatsReader: every service and destination of the table with its
// weight, with the counters SetStats gave it (zero otherwise), in the table's order.
func (m *Memory) Stats() ([]ServiceStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ServiceStats, 0, len(m.order))
	for _, k := range m.order {
		set := m.stats[k]
		ss := ServiceStats{Key: k, Stats: set.Stats}
		for _, d := range m.services[k].dests {
			ds := DestinationStats{Addr: d.Addr}
			if i := slices.IndexFunc(set.Destinations, func(x DestinationStats) bool { return x.Addr == d.Addr }); i >= 0 {
				ds = set.Destinations[i]
			}
			ds.Weight = d.Weight
			ss.Destinations = append(ss.Destinations, ds)
		}
		out = append(out, ss)
	}
	return out, nil
}

// SetStats sets the counters Stats reports for s.Key and its destinations (a test's
// traffic). Counters for objects not in the table are kept until they are.
func (m *Memory) SetStats(s ServiceStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stats == nil {
		m.stats = map[ServiceKey]ServiceStats{}
	}
	s.Destinations = slices.Clone(s.Destinations)
	m.stats[s.Key] = s
}

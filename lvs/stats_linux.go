package lvs

import "github.com/moby/ipvs"

// Stats implements StatsReader with the kernel's counters (IPVS_SVC_ATTR_STATS and
// IPVS_DEST_ATTR_STATS, read by moby/ipvs; packet counts are the kernel's 32-bit ones).
func (k *Kernel) Stats() ([]ServiceStats, error) {
	table, err := k.walk()
	if err != nil {
		return nil, err
	}
	out := make([]ServiceStats, len(table))
	for i, ks := range table {
		out[i] = ServiceStats{Key: ks.svc.Key, Stats: fromMobyStats(ks.stats), Destinations: make([]DestinationStats, len(ks.dests))}
		for j, kd := range ks.dests {
			out[i].Destinations[j] = DestinationStats{
				Addr: kd.dest.Addr, ActiveConns: uint64(max(kd.active, 0)),
				InactiveConns: uint64(max(kd.inactive, 0)), Stats: fromMobyStats(ipvs.SvcStats(kd.stats)),
			}
		}
	}
	return out, nil
}

func fromMobyStats(s ipvs.SvcStats) Stats {
	return Stats{Connections: uint64(s.Connections), PacketsIn: uint64(s.PacketsIn), PacketsOut: uint64(s.PacketsOut),
		BytesIn: s.BytesIn, BytesOut: s.BytesOut}
}

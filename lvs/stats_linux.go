package lvs

import (
	"fmt"

	"github.com/moby/ipvs"
)

// Stats implements StatsReader with the kernel's counters (IPVS_SVC_ATTR_STATS and
// IPVS_DEST_ATTR_STATS, read by moby/ipvs; packet counts are the kernel's 32-bit ones).
func (k *Kernel) Stats() ([]ServiceStats, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return nil, err
	}
	svcs, err := h.GetServices()
	if err != nil {
		return nil, err
	}
	out := make([]ServiceStats, 0, len(svcs))
	for _, ms := range svcs {
		s, err := fromMobyService(ms)
		if err != nil {
			return nil, err
		}
		dests, err := h.GetDestinations(ms)
		if err != nil {
			return nil, fmt.Errorf("destinations of %s: %w", s.Key, err)
		}
		ss := ServiceStats{Key: s.Key, Stats: fromMobyStats(ms.Stats), Destinations: make([]DestinationStats, 0, len(dests))}
		for _, md := range dests {
			d, err := fromMobyDest(md)
			if err != nil {
				return nil, fmt.Errorf("destination of %s: %w", s.Key, err)
			}
			ss.Destinations = append(ss.Destinations, DestinationStats{
				Addr: d.Addr, ActiveConns: uint64(max(md.ActiveConnections, 0)),
				InactiveConns: uint64(max(md.InactiveConnections, 0)), Stats: fromMobyStats(ipvs.SvcStats(md.Stats)),
			})
		}
		out = append(out, ss)
	}
	return out, nil
}

func fromMobyStats(s ipvs.SvcStats) Stats {
	return Stats{Connections: uint64(s.Connections), PacketsIn: uint64(s.PacketsIn), PacketsOut: uint64(s.PacketsOut),
		BytesIn: s.BytesIn, BytesOut: s.BytesOut}
}

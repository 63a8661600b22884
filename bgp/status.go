package bgp

import (
	"context"
	"net/netip"
	"sort"
	"time"
)

// Status is what `halvs status` shows of BGP.
type Status struct {
	ASN        uint32
	RouterID   netip.Addr
	Drained    bool
	DrainUntil time.Time // with Drained: when the drain_time of what was withdrawn ends
	Neighbors  []NeighborStatus
	Prefixes   []PrefixStatus // in address order
	Err        string         // the speaker could not be asked for its sessions
}

// PrefixStatus is one announced address.
type PrefixStatus struct {
	Prefix    netip.Prefix
	Announce  string // the bgp_announce it belongs to
	Announced bool
	Reason    string // why it is announced or withdrawn
	Since     time.Time
}

// Status reports the sessions and the prefixes. It asks the speaker without holding the
// Announcer's lock, so a slow speaker never delays a withdrawal.
func (a *Announcer) Status(ctx context.Context) Status {
	a.mu.Lock()
	st := Status{ASN: a.cfg.Speaker.ASN, RouterID: a.cfg.Speaker.RouterID, Drained: a.drained}
	if a.drained {
		st.DrainUntil = a.drainAt.Add(a.drainFor)
	}
	for p, ps := range a.state {
		st.Prefixes = append(st.Prefixes, PrefixStatus{Prefix: p, Announce: ps.announce, Announced: ps.announced, Reason: ps.reason, Since: ps.since})
	}
	started := a.started
	a.mu.Unlock()
	sort.Slice(st.Prefixes, func(i, j int) bool { return st.Prefixes[i].Prefix.Addr().Less(st.Prefixes[j].Prefix.Addr()) })
	if started {
		ns, err := a.sp.Neighbors(ctx)
		if err != nil {
			st.Err = err.Error()
		}
		st.Neighbors = ns
	}
	return st
}

package director

import (
	"sync"
	"time"

	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// observed keeps each instance's last state change, for status (where it came from) and
// for the takeover metric.
type observed struct {
	mu   sync.Mutex
	last map[string]vrrp.StateChange
}

func (o *observed) lastFrom(name string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c, ok := o.last[name]; ok {
		return c.From.String()
	}
	return ""
}

// observe records an instance's change; called from onStateChange (the instance's kernel
// worker, after the VIPs are added and announced), so it must not block.
func (d *Director) observe(c vrrp.StateChange) {
	at := d.now()
	d.obs.mu.Lock()
	if d.obs.last == nil {
		d.obs.last = map[string]vrrp.StateChange{}
	}
	d.obs.last[c.Name] = c
	d.obs.mu.Unlock()
	d.noteStateChange(c, at)
	// A takeover from a master that was heard: from the advert that armed the down timer
	// (the old master's last advert, or its priority-0 advert) to now, after the VIPs were
	// added and announced. The first election (no master heard) and takeovers no advert
	// timed (address owner, fault cleared, sync group) carry no LastAdvert and are not
	// counted.
	if c.From == vrrp.StateBackup && c.To == vrrp.StateMaster && !c.LastAdvert.IsZero() && d.opts.OnTakeover != nil {
		d.opts.OnTakeover(c.Name, max(at.Sub(c.LastAdvert), c.Armed))
	}
}

func (d *Director) now() time.Time {
	if d.opts.VRRPClock != nil {
		return d.opts.VRRPClock.Now()
	}
	return time.Now()
}

// IPVSStats reads the kernel's counters of every service in the IPVS table (halvs' own and
// others'); nil without IPVS or with a backend that cannot count. Safe for concurrent use.
func (d *Director) IPVSStats() ([]lvs.ServiceStats, error) {
	s := d.ipvs.Load()
	if s == nil {
		return nil, nil
	}
	r, ok := s.backend.(lvs.StatsReader)
	if !ok {
		return nil, nil
	}
	return r.Stats()
}

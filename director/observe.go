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

// Reasons the state machine gives for a backup's takeover (vrrp/state.go); the takeover
// metric knows from them which timer ran.
const (
	reasonDownTimer = "master down timer expired"
	reasonPrio0     = "master sent priority 0"
)

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
	if c.From == vrrp.StateBackup && c.To == vrrp.StateMaster && d.opts.OnTakeover != nil {
		// Off the worker: reading the plan takes d.mu, which a Reload holds while it waits
		// for instances (and so for this worker) to stop.
		go d.observeTakeover(c, at)
	}
}

// observeTakeover reports the takeover's duration: from the old master's last advert (or
// its priority-0 advert) to now. The machine took over when its timer, armed by that advert,
// fired at c.At; the timer ran Master_Down_Interval (or Skew_Time after priority 0). An
// instance that never heard a master (the first election) took nothing over and is not
// counted; neither are takeovers with other reasons (address owner, sync group, fault
// cleared), which no advert timed.
func (d *Director) observeTakeover(c vrrp.StateChange, at time.Time) {
	d.mu.Lock()
	var ic vrrp.InstanceConfig
	found := false
	for _, x := range d.plan.vrrp.Instances {
		if x.Name == c.Name {
			ic, found = x, true
		}
	}
	d.mu.Unlock()
	inst := d.router.Instance(c.Name)
	if !found || inst == nil || inst.Counters().AdvertsReceived == 0 {
		return
	}
	var wait time.Duration
	switch c.Reason {
	case reasonPrio0:
		wait = vrrp.SkewTime(ic.Version, c.Priority, ic.Interval)
	case reasonDownTimer:
		wait = vrrp.MasterDownInterval(ic.Version, c.Priority, ic.Interval)
	default:
		return
	}
	d.opts.OnTakeover(c.Name, wait+max(at.Sub(c.At), 0))
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

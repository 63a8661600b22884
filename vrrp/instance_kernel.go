package vrrp

import (
	"sync"
	"time"
)

// The loop's side of the kernel work: when the VIP owner (vip_owner.go) checks and announces
// the VIPs, queued on the kernel worker.

// verifyEvery bounds how often a MASTER has the kernel worker check its VIPs: each check
// dumps the device's addresses, and on every advert at advert_int 0.1 s that was half of a
// master's CPU time, which a loaded or emulated machine then lacked for the adverts.
const verifyEvery = time.Second

type garpSettings struct {
	repeat, refreshRepeat int
	delay, refresh        time.Duration
	// garp_lower_prio_repeat / _delay, garp_interval / gna_interval (instance_timing.go)
	lowerRepeat             int
	lowerDelay              time.Duration
	arpInterval, naInterval time.Duration
}

func (i *Instance) garp() garpSettings {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.garpLocked
}

// count changes the instance's counters under its lock.
func (i *Instance) count(f func(*Counters)) {
	i.mu.Lock()
	defer i.mu.Unlock()
	f(&i.counters)
}

// announceSchedule is the gratuitous ARP / NA schedule of one MASTER period. gen
// invalidates timers of an earlier period.
type announceSchedule struct {
	mu      sync.Mutex
	gen     uint64
	second  Timer // the second burst
	refresh Timer // the next refresh
}

// startAnnouncing queues the first burst (after ClaimVIPs, on the same worker), then
// arms the second burst and the refresh.
func (i *Instance) startAnnouncing() {
	g := i.garp()
	s := &i.ann
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	gen := s.gen
	i.kernel.do(func() { i.owner.announce(g.repeat) })
	if g.delay > 0 {
		s.second = i.deps.Clock.AfterFunc(g.delay, func() {
			i.kernel.do(func() {
				if i.annCurrent(gen) {
					i.owner.announce(g.repeat)
				}
			})
		})
	}
	if g.refresh > 0 {
		var tick func()
		tick = func() {
			i.kernel.do(func() {
				if i.annCurrent(gen) {
					i.owner.announce(g.refreshRepeat)
				}
			})
			s.mu.Lock()
			if s.gen == gen {
				s.refresh = i.deps.Clock.AfterFunc(g.refresh, tick)
			}
			s.mu.Unlock()
		}
		s.refresh = i.deps.Clock.AfterFunc(max(g.delay, 0)+g.refresh, tick)
	}
}

func (i *Instance) annCurrent(gen uint64) bool {
	i.ann.mu.Lock()
	defer i.ann.mu.Unlock()
	return i.ann.gen == gen
}

func (i *Instance) stopAnnouncing() {
	s := &i.ann
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for _, t := range []Timer{s.second, s.refresh} {
		if t != nil {
			t.Stop()
		}
	}
	s.second, s.refresh = nil, nil
}

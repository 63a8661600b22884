package vrrp

import (
	"log/slog"
	"slices"
	"sync"
	"time"
)

// The kernel side of an instance, run on its kernel worker in the order the loop queued it.

func (i *Instance) kernelError(what string, v VIP, err error) {
	i.mu.Lock()
	i.counters.KernelErrors++
	i.mu.Unlock()
	i.log.Error(what+" failed", "vip", v.Prefix, "dev", v.Dev, "err", err)
}

// owned is every address the instance adds as MASTER: the VIPs, then the excluded ones.
func (i *Instance) owned() []VIP {
	return append(slices.Clone(i.vips), i.excluded...)
}

func (i *Instance) claimVIPs() {
	i.claimed = true
	for _, v := range i.owned() {
		if err := i.deps.Addresser.AddVIP(v); err != nil {
			i.kernelError("add VIP", v, err)
			continue
		}
		i.log.Info("setting VIP", "vip", v.Prefix, "dev", v.Dev)
	}
	i.addRoutes() // keepalived's order: VIPs, routes, rules
}

func (i *Instance) releaseVIPs() {
	i.claimed = false
	i.delRoutes() // keepalived's order: rules, routes, VIPs
	for _, v := range i.owned() {
		if err := i.deps.Addresser.DelVIP(v); err != nil {
			i.kernelError("remove VIP", v, err)
			continue
		}
		i.log.Info("removing VIP", "vip", v.Prefix, "dev", v.Dev)
	}
}

// verifyVIPs re-adds VIPs that vanished from the kernel while MASTER (an operator's
// `ip addr flush`, a NetworkManager reset) and announces the repaired ones.
func (i *Instance) verifyVIPs() {
	if !i.claimed {
		return
	}
	for _, v := range i.owned() {
		ok, err := i.deps.Addresser.HasVIP(v)
		if err != nil {
			i.kernelError("check VIP", v, err)
			continue
		}
		if ok {
			continue
		}
		i.log.Warn("VIP missing from the kernel while MASTER: re-adding it", "vip", v.Prefix, "dev", v.Dev)
		if err := i.deps.Addresser.AddVIP(v); err != nil {
			i.kernelError("re-add VIP", v, err)
			continue
		}
		i.mu.Lock()
		i.counters.VIPRepairs++
		i.mu.Unlock()
		i.announceVIP(v, max(i.garp().repeat, 1))
	}
}

// announce sends n announcements for every VIP, if the VIPs are ours.
func (i *Instance) announce(n int) { i.announceLogged(n, i.logBurst) }

// reannounce is announce for a split brain healing: a peer flooding lower-priority adverts
// brings one each advert interval, so its lines go through the advert path's log limit.
func (i *Instance) reannounce(n int) {
	i.announceLogged(n, func(v VIP, n int) {
		what, args := burstLine(v, n)
		i.logs.Log(slog.LevelInfo, "reannounce "+v.Prefix.String(), what, args...)
	})
}

func (i *Instance) announceLogged(n int, logBurst func(VIP, int)) {
	if !i.claimed || n <= 0 {
		return
	}
	vips := i.owned()
	for _, v := range vips {
		logBurst(v, n)
	}
	// keepalived's order: each round covers every VIP, so all get one early.
	for range n {
		for _, v := range vips {
			i.pace(v)
			if err := i.deps.Announcer.Announce(v.Dev, v.Prefix.Addr()); err != nil {
				i.kernelError("announce", v, err)
			}
		}
	}
}

// announceVIP sends one burst of n announcements for v alone.
func (i *Instance) announceVIP(v VIP, n int) {
	i.logBurst(v, n)
	for range n {
		i.pace(v)
		if err := i.deps.Announcer.Announce(v.Dev, v.Prefix.Addr()); err != nil {
			i.kernelError("announce", v, err)
		}
	}
}

// logBurst is keepalived's line for a burst of n gratuitous ARPs (IPv4) or unsolicited
// neighbour adverts (IPv6) for v: operators grep for it after a takeover.
func (i *Instance) logBurst(v VIP, n int) {
	msg, args := burstLine(v, n)
	i.log.Info(msg, args...)
}

func burstLine(v VIP, n int) (string, []any) {
	what := "gratuitous ARPs"
	if v.Prefix.Addr().Is6() {
		what = "Unsolicited Neighbour Adverts"
	}
	return "Sending/queueing " + what, []any{"dev", v.Dev, "vip", v.Prefix.Addr(), "count", n}
}

// setOwned makes vips and excluded the instance's addresses (a reload). While MASTER, the
// new ones are added and announced first, then those that went are removed: an address
// that only moved between the two lists, or kept its address with another prefix length,
// is never missing.
func (i *Instance) setOwned(vips, excluded []VIP) {
	before := i.owned()
	i.vips, i.excluded = vips, excluded
	if !i.claimed {
		return
	}
	after := i.owned()
	for _, v := range after {
		if slices.Contains(before, v) {
			continue
		}
		if err := i.deps.Addresser.AddVIP(v); err != nil {
			i.kernelError("add VIP", v, err)
			continue
		}
		i.log.Info("setting VIP", "vip", v.Prefix, "dev", v.Dev, "by", "reload")
		i.announceVIP(v, max(i.garp().repeat, 1))
	}
	for _, v := range before {
		if slices.Contains(after, v) {
			continue
		}
		if err := i.deps.Addresser.DelVIP(v); err != nil {
			i.kernelError("remove VIP", v, err)
			continue
		}
		i.log.Info("removing VIP", "vip", v.Prefix, "dev", v.Dev, "by", "reload")
	}
}

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
	i.kernel.do(func() { i.announce(g.repeat) })
	if g.delay > 0 {
		s.second = i.deps.Clock.AfterFunc(g.delay, func() {
			i.kernel.do(func() {
				if i.annCurrent(gen) {
					i.announce(g.repeat)
				}
			})
		})
	}
	if g.refresh > 0 {
		var tick func()
		tick = func() {
			i.kernel.do(func() {
				if i.annCurrent(gen) {
					i.announce(g.refreshRepeat)
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

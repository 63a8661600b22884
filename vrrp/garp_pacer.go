package vrrp

import (
	"sync"
	"time"
)

// keepalived's garp_group and vrrp_garp_interval / vrrp_gna_interval: the least time between
// two gratuitous ARPs (unsolicited NAs) sent on an interface, whichever instance sends them,
// for switches that cannot take a flood of them (keepalived's vrrp_if.c garp_delay, kept per
// physical interface, vrrp_arp.c and vrrp_ndisc.c). A garp_group shares one such delay
// between all its interfaces (those on one switch); an interface in no group has one of its
// own with the global intervals. ARPs and NAs are paced apart.

// AnnounceGroup is one garp_group: its intervals (0: not paced) and its interfaces.
type AnnounceGroup struct {
	ARPInterval, NAInterval time.Duration
	Interfaces              []string
}

// AnnouncePacing is how announcements are paced per interface.
type AnnouncePacing struct {
	Groups []AnnounceGroup
	// ARPInterval and NAInterval are vrrp_garp_interval / vrrp_gna_interval: the pacing of
	// each interface in no group.
	ARPInterval, NAInterval time.Duration
	// Bases maps an interface halvs made (a use_vmac VMAC) to the interface it sits on: its
	// announcements go out on the base's wire and count against the base's pacing.
	Bases map[string]string
}

// paceSlot is one delay: a group's, or an ungrouped interface's. mu is held from the wait
// for a turn to the booking of the next, so its announcements go out one at a time.
type paceSlot struct {
	mu              sync.Mutex
	arp, na         time.Duration
	nextARP, nextNA time.Time // the earliest time of the next announcement
}

// announcePacer paces announcements on the interfaces' delays. It is shared by the Router's
// instances, whose kernel workers announce concurrently; it is safe for concurrent use.
type announcePacer struct {
	now   func() time.Time
	sleep func(time.Duration)

	mu     sync.Mutex
	cfg    AnnouncePacing
	groups map[string]*paceSlot // interface → its group's slot
	own    map[string]*paceSlot // ungrouped interface → its slot
}

func newAnnouncePacer(now func() time.Time, sleep func(time.Duration)) *announcePacer {
	return &announcePacer{now: now, sleep: sleep, groups: map[string]*paceSlot{}, own: map[string]*paceSlot{}}
}

// set makes c the pacing. A group or interface whose intervals stay keeps its next turn.
func (p *announcePacer) set(c AnnouncePacing) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.groups
	p.cfg, p.groups = c, map[string]*paceSlot{}
	for _, g := range c.Groups {
		s := &paceSlot{arp: g.ARPInterval, na: g.NAInterval}
		for _, dev := range g.Interfaces {
			if o := old[dev]; o != nil && o.arp == s.arp && o.na == s.na {
				o.mu.Lock()
				s.nextARP, s.nextNA = later(s.nextARP, o.nextARP), later(s.nextNA, o.nextNA)
				o.mu.Unlock()
			}
		}
		for _, dev := range g.Interfaces {
			p.groups[dev] = s
		}
	}
	for dev, s := range p.own {
		if s.arp != c.ARPInterval || s.na != c.NAInterval {
			delete(p.own, dev)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// slot is dev's delay (its base's, for a VMAC).
func (p *announcePacer) slot(dev string) *paceSlot {
	p.mu.Lock()
	defer p.mu.Unlock()
	if base, ok := p.cfg.Bases[dev]; ok {
		dev = base
	}
	if s := p.groups[dev]; s != nil {
		return s
	}
	s := p.own[dev]
	if s == nil {
		s = &paceSlot{arp: p.cfg.ARPInterval, na: p.cfg.NAInterval}
		p.own[dev] = s
	}
	return s
}

// announce waits for dev's turn, not before notBefore, calls send, and books dev's next
// turn one interval after the send, as keepalived does (vrrp_arp.c: garp_next_time is
// set after each gratuitous ARP). ipv6 selects the NA interval and turn.
func (p *announcePacer) announce(dev string, ipv6 bool, notBefore time.Time, send func()) {
	s := p.slot(dev)
	s.mu.Lock()
	defer s.mu.Unlock()
	gap, next := s.arp, &s.nextARP
	if ipv6 {
		gap, next = s.na, &s.nextNA
	}
	at := notBefore
	if gap > 0 {
		at = later(at, *next)
	}
	if wait := at.Sub(p.now()); wait > 0 {
		p.sleep(wait)
	}
	send()
	if gap > 0 {
		*next = p.now().Add(gap)
	}
}

// SetAnnouncePacing makes p the pacing of the gratuitous ARPs and unsolicited NAs of all
// the Router's instances, from their next announcement on. Call it before Apply (at start
// and on a reload).
func (r *Router) SetAnnouncePacing(p AnnouncePacing) { r.deps.pacer.set(p) }

package vrrp

import (
	"log/slog"
	"slices"
	"time"
)

// vipOwner is what an instance holds in the kernel while MASTER: its VIPs and excluded
// addresses, virtual routes and rules, and their announcements. It belongs to the instance's
// kernel worker: every method runs there, in the order the loop queued it, so its fields
// need no lock; a reload changes them in place (setOwned, setRoutes).
type vipOwner struct {
	addr   Addresser
	ann    Announcer
	routes RouteManager // nil when the Router has none (no virtual_routes or rules then)
	log    *slog.Logger
	logs   *logLimiter         // the advert path's lines (reannounce)
	garp   func() garpSettings // the instance's current settings
	pacer  *announcePacer      // the Router's, shared by its instances; nil in some tests
	count  func(func(*Counters))

	claimed       bool
	vips          []VIP   // virtual_ipaddress
	excluded      []VIP   // virtual_ipaddress_excluded
	virtualRoutes []Route // virtual_routes, added after the VIPs
	virtualRules  []Rule  // virtual_rules, added after the routes
	// lastAnnounce is when the owner last announced on each device (garp_interval).
	lastAnnounce map[string]time.Time
	// routeRepairFailing holds the routes and rules whose last re-add failed (routes_check.go).
	routeRepairFailing map[string]bool
}

// prepare runs at the instance's start: VIPs left by an earlier run are removed (keepalived
// does the same, but only those the Addresser can prove halvs added: never the host's own)
// and the announcer gets ready for them.
func (o *vipOwner) prepare() {
	prep, _ := o.ann.(AnnouncePreparer)
	added, _ := o.addr.(AddedVIPs)
	for _, v := range o.owned() {
		if added != nil && added.Added(v) {
			o.log.Info("removing a VIP left by an earlier run", "vip", v.Prefix, "dev", v.Dev)
			if err := o.addr.DelVIP(v); err != nil {
				o.kernelError("remove stale VIP", v, err)
			}
		}
		if prep == nil {
			continue
		}
		// Not fatal: Announce opens what is missing, at the cost of the first GARP.
		if err := prep.Prepare(v.Dev, v.Prefix.Addr()); err != nil {
			o.log.Warn("cannot prepare announcements yet", "vip", v.Prefix, "dev", v.Dev, "err", err)
		}
	}
}

func (o *vipOwner) kernelError(what string, v VIP, err error) {
	o.count(func(c *Counters) { c.KernelErrors++ })
	o.log.Error(what+" failed", "vip", v.Prefix, "dev", v.Dev, "err", err)
}

// owned is every address the instance adds as MASTER: the VIPs, then the excluded ones.
func (o *vipOwner) owned() []VIP {
	return append(slices.Clone(o.vips), o.excluded...)
}

func (o *vipOwner) claim() {
	o.claimed = true
	for _, v := range o.owned() {
		if err := o.addr.AddVIP(v); err != nil {
			o.kernelError("add VIP", v, err)
			continue
		}
		o.log.Info("setting VIP", "vip", v.Prefix, "dev", v.Dev)
	}
	o.addRoutes() // keepalived's order: VIPs, routes, rules
}

func (o *vipOwner) release() {
	o.claimed, o.routeRepairFailing = false, nil
	o.delRoutes() // keepalived's order: rules, routes, VIPs
	for _, v := range o.owned() {
		if err := o.addr.DelVIP(v); err != nil {
			o.kernelError("remove VIP", v, err)
			continue
		}
		o.log.Info("removing VIP", "vip", v.Prefix, "dev", v.Dev)
	}
}

// verify re-adds VIPs that vanished from the kernel while MASTER (an operator's
// `ip addr flush`, a NetworkManager reset) and announces the repaired ones, then the
// virtual routes and rules (verifyRoutes).
func (o *vipOwner) verify() {
	if !o.claimed {
		return
	}
	for _, v := range o.owned() {
		ok, err := o.addr.HasVIP(v)
		if err != nil {
			o.kernelError("check VIP", v, err)
			continue
		}
		if ok {
			continue
		}
		o.log.Warn("VIP missing from the kernel while MASTER: re-adding it", "vip", v.Prefix, "dev", v.Dev)
		if err := o.addr.AddVIP(v); err != nil {
			o.kernelError("re-add VIP", v, err)
			continue
		}
		o.count(func(c *Counters) { c.VIPRepairs++ })
		o.announceVIP(v, max(o.garp().repeat, 1))
	}
	o.verifyRoutes() // after the VIPs: a route may need one as its source
}

// announce sends n announcements for every VIP, if the VIPs are ours.
func (o *vipOwner) announce(n int) { o.announceLogged(n, o.logBurst) }

// reannounce is announce for a split brain healing: a peer flooding lower-priority adverts
// brings one each advert interval, so its lines go through the advert path's log limit.
func (o *vipOwner) reannounce(n int) {
	o.announceLogged(n, func(v VIP, n int) {
		what, args := burstLine(v, n)
		o.logs.Log(slog.LevelInfo, "reannounce "+v.Prefix.String(), what, args...)
	})
}

func (o *vipOwner) announceLogged(n int, logBurst func(VIP, int)) {
	if !o.claimed || n <= 0 {
		return
	}
	vips := o.owned()
	for _, v := range vips {
		logBurst(v, n)
	}
	// keepalived's order: each round covers every VIP, so all get one early.
	for range n {
		for _, v := range vips {
			o.sendAnnouncement(v)
		}
	}
}

// announceVIP sends one burst of n announcements for v alone.
func (o *vipOwner) announceVIP(v VIP, n int) {
	o.logBurst(v, n)
	for range n {
		o.sendAnnouncement(v)
	}
}

// logBurst is keepalived's line for a burst of n gratuitous ARPs (IPv4) or unsolicited
// neighbour adverts (IPv6) for v: operators grep for it after a takeover.
func (o *vipOwner) logBurst(v VIP, n int) {
	msg, args := burstLine(v, n)
	o.log.Info(msg, args...)
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
func (o *vipOwner) setOwned(vips, excluded []VIP) {
	before := o.owned()
	o.vips, o.excluded = vips, excluded
	if !o.claimed {
		return
	}
	after := o.owned()
	for _, v := range after {
		if slices.Contains(before, v) {
			continue
		}
		if err := o.addr.AddVIP(v); err != nil {
			o.kernelError("add VIP", v, err)
			continue
		}
		o.log.Info("setting VIP", "vip", v.Prefix, "dev", v.Dev, "by", "reload")
		o.announceVIP(v, max(o.garp().repeat, 1))
	}
	for _, v := range before {
		if slices.Contains(after, v) {
			continue
		}
		if err := o.addr.DelVIP(v); err != nil {
			o.kernelError("remove VIP", v, err)
			continue
		}
		o.log.Info("removing VIP", "vip", v.Prefix, "dev", v.Dev, "by", "reload")
	}
}

// sendAnnouncement sends one gratuitous ARP (unsolicited NA) for v on the kernel worker,
// once the instance's own garp_interval (gna_interval for IPv6; halvs) has passed since its
// last announcement on the interface, and at the interface's turn (garp_group or
// vrrp_garp_interval, across all instances: garp_pacer.go).
func (o *vipOwner) sendAnnouncement(v VIP) {
	g := o.garp()
	v6 := v.Prefix.Addr().Is6()
	gap := g.arpInterval
	if v6 {
		gap = g.naInterval
	}
	var notBefore time.Time
	if last, ok := o.lastAnnounce[v.Dev]; ok && gap > 0 {
		notBefore = last.Add(gap)
	}
	send := func() {
		if err := o.ann.Announce(v.Dev, v.Prefix.Addr()); err != nil {
			o.kernelError("announce", v, err)
		}
	}
	if o.pacer != nil {
		o.pacer.announce(v.Dev, v6, notBefore, send)
	} else {
		time.Sleep(time.Until(notBefore))
		send()
	}
	if gap > 0 {
		if o.lastAnnounce == nil {
			o.lastAnnounce = map[string]time.Time{}
		}
		o.lastAnnounce[v.Dev] = time.Now()
	}
}

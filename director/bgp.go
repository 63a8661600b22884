package director

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halvs/halvs/bgp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/vrrp"
)

// BGPDummies creates and removes the bgp interface (bgp.Dummies in production).
type BGPDummies interface {
	Ensure(name string) error
	Remove(name string) error
}

// bgpSide is the BGP announcement of an active-active director: the Announcer, started
// once the health checks and IPVS are, drained and stopped before the VRRP instances.
type bgpSide struct {
	// ann is nil until a config has a bgp block; read without mu by the quorum feed, which
	// must never wait for a drain that holds mu.
	ann atomic.Pointer[bgp.Announcer]

	mu      sync.Mutex // serialises start, reload and stop
	dummies BGPDummies
	owned   func() // closes what openBGP opened
	running bool
	start   bgp.Config // what Run starts with (prepareBGP)

	// skip ends the drain wait of a stop at once (a second SIGTERM).
	skipOnce sync.Once
	skip     chan struct{}
}

// prepareBGP translates cfg's bgp blocks for Run and makes the Announcer; it changes
// nothing yet.
func (d *Director) prepareBGP(cfg *config.Config) error {
	d.bgp.skip = make(chan struct{})
	c, ok, err := d.bgpConfig(cfg)
	if err != nil || !ok {
		return err
	}
	if err := d.checkBGPAddresses(cfg); err != nil {
		return err
	}
	d.bgp.start = c
	return d.openBGP()
}

// SkipDrain cuts the drain_time wait of a stop short: the prefixes are already withdrawn,
// the speaker stops at once.
func (d *Director) SkipDrain() {
	d.bgp.skipOnce.Do(func() { close(d.bgp.skip) })
}

// TranslateBGP is the bgp package's view of cfg's bgp and bgp_announce blocks; ok is false
// without a bgp block. routerID gives the default router ID when the block names none.
func TranslateBGP(cfg *config.Config, routerID func() (netip.Addr, error)) (c bgp.Config, ok bool, err error) {
	b := cfg.BGP
	if b == nil {
		return bgp.Config{}, false, nil
	}
	c.Interface = b.Interface
	c.Speaker = bgp.SpeakerConfig{ASN: b.ASN, RouterID: b.RouterID, ListenPort: b.ListenPort}
	if !c.Speaker.RouterID.IsValid() {
		if c.Speaker.RouterID, err = routerID(); err != nil {
			return bgp.Config{}, false, err
		}
	}
	for _, n := range b.Neighbors {
		c.Speaker.Neighbors = append(c.Speaker.Neighbors, bgp.Neighbor{Addr: n.Addr, PeerASN: n.PeerASN, HoldTime: n.HoldTime,
			ConnectRetry: n.ConnectRetry, Port: n.Port, LocalAddress: n.LocalAddress})
	}
	for _, a := range cfg.BGPAnnounces {
		c.Announces = append(c.Announces, bgp.Announce{Name: a.Name, Prefixes: a.Prefixes, Track: a.TrackVirtualServers, DrainTime: a.DrainTime})
	}
	return c, true, nil
}

func (d *Director) bgpConfig(cfg *config.Config) (bgp.Config, bool, error) {
	rid := d.opts.BGPRouterID
	if rid == nil {
		rid = bgp.HostRouterID
	}
	return TranslateBGP(cfg, rid)
}

// checkBGPAddresses refuses a bgp_announce prefix that the host already holds without halvs
// having added it (the ledger lists what halvs added, also in an earlier run): halvs would
// otherwise remove the host's own address when it stops, as for VIPs (ownership.go).
func (d *Director) checkBGPAddresses(cfg *config.Config) error {
	if d.lister == nil || cfg.BGP == nil {
		return nil
	}
	host, err := d.lister.ListAddresses()
	if err != nil {
		return fmt.Errorf("cannot list the host's addresses to check the bgp_announce prefixes against them: %w", err)
	}
	var errs []error
	for _, a := range cfg.BGPAnnounces {
		for i, p := range a.Prefixes {
			for _, h := range host {
				if h.Prefix.Addr() != p.Addr() || d.ledger.Added(vrrp.VIP{Prefix: h.Prefix, Dev: h.Dev}) {
					continue
				}
				r := a.Source.Entry("prefixes", i)
				errs = append(errs, fmt.Errorf("%s:%d:%d: bgp_announce %q prefix %s: %s is already an address of %s (%s), not one halvs added; remove it from %s, halvs adds it to %s itself",
					r.Filename, r.Start.Line, r.Start.Column, a.Name, p, p.Addr(), h.Dev, h.Prefix, h.Dev, cfg.BGP.Interface))
			}
		}
	}
	return errors.Join(errs...)
}

// openBGP makes the Announcer when cfg has a bgp block (or a reload adds one).
func (d *Director) openBGP() error {
	s := &d.bgp
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ann.Load() != nil {
		return nil
	}
	sp := d.opts.BGPSpeaker
	if sp == nil {
		sp = bgp.NewGoBGP(d.log.With("component", "bgp"))
	}
	s.dummies, s.owned = d.opts.BGPDummies, func() {}
	if s.dummies == nil {
		dm, err := bgp.NewDummies()
		if err != nil {
			return fmt.Errorf("bgp: %w", err)
		}
		s.dummies, s.owned = dm, func() { dm.Close() }
	}
	s.ann.Store(bgp.NewAnnouncer(sp, &bgpAddresses{d: d, held: map[netip.Prefix]string{}}, d.log))
	return nil
}

// startBGP starts the speaker; the prefixes follow the quorums fed so far.
func (d *Director) startBGP() error {
	s := &d.bgp
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.ann.Load()
	if a == nil {
		return nil
	}
	if err := a.Start(context.Background(), s.start); err != nil {
		return err
	}
	s.running = true
	return nil
}

// reloadBGP hands c to the running Announcer (ok false: the new config has no bgp block,
// so the speaker is drained and stopped).
func (d *Director) reloadBGP(c bgp.Config, ok bool) {
	if ok {
		if err := d.openBGP(); err != nil {
			d.log.Error("BGP: cannot start", "err", err)
			return
		}
	}
	s := &d.bgp
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.ann.Load()
	switch {
	case a == nil:
	case !ok && s.running:
		a.Stop(context.Background())
		s.running = false
	case ok && s.running:
		if err := a.Reload(context.Background(), c); err != nil {
			d.log.Error("BGP: reload failed", "err", err)
		}
	case ok:
		if err := a.Start(context.Background(), c); err != nil {
			d.log.Error("BGP: cannot start", "err", err)
			return
		}
		s.running = true
	}
}

// stopBGP withdraws every prefix, waits drain_time (unless SkipDrain), then stops the
// speaker and removes the addresses.
func (d *Director) stopBGP() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-d.bgp.skip:
			cancel()
		case <-ctx.Done():
		}
	}()
	s := &d.bgp
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.ann.Load()
	if a == nil {
		return
	}
	if s.running {
		a.Stop(ctx)
		s.running = false
	}
	s.owned()
}

// bgpQuorum tells the Announcer whether the virtual servers named name have quorum.
func (d *Director) bgpQuorum(name string, up bool) {
	if a := d.announcer(); a != nil {
		a.SetQuorum(name, up)
	}
}

func (d *Director) announcer() *bgp.Announcer { return d.bgp.ann.Load() }

// ErrNoBGP is returned by Drain and Undrain when the config has no bgp block.
var ErrNoBGP = errors.New("this director announces nothing: the configuration has no bgp block")

// Drain withdraws every announced prefix and keeps them withdrawn until Undrain; it
// returns what it withdrew and how long established connections should be given.
func (d *Director) Drain() ([]netip.Prefix, time.Duration, error) {
	a := d.announcer()
	if a == nil {
		return nil, 0, ErrNoBGP
	}
	p, wait := a.Drain()
	return p, wait, nil
}

// Undrain announces again what has quorum; it returns the prefixes announced.
func (d *Director) Undrain() ([]netip.Prefix, error) {
	a := d.announcer()
	if a == nil {
		return nil, ErrNoBGP
	}
	return a.Undrain(), nil
}

// bgpStatus is the status document's bgp section: the sessions and prefixes; nil without
// a bgp block.
func (d *Director) bgpStatus(ctx context.Context) *control.BGP {
	a := d.announcer()
	if a == nil {
		return nil
	}
	st := a.Status(ctx)
	out := &control.BGP{ASN: st.ASN, RouterID: st.RouterID.String(), Drained: st.Drained, DrainUntil: st.DrainUntil,
		Neighbors: []control.BGPNeighbor{}, Prefixes: []control.BGPPrefix{}, Error: st.Err}
	for _, n := range st.Neighbors {
		out.Neighbors = append(out.Neighbors, control.BGPNeighbor{Address: n.Addr.String(), PeerASN: n.PeerASN, State: n.State,
			Up: n.Up(), Since: n.Since})
	}
	for _, p := range st.Prefixes {
		out.Prefixes = append(out.Prefixes, control.BGPPrefix{Prefix: p.Prefix.String(), Announce: p.Announce,
			Announced: p.Announced, Reason: p.Reason, Since: p.Since})
	}
	return out
}

// bgpAddresses puts the announced addresses on the bgp interface through the director's
// record of added addresses (vrrp.Ledger): a start after a crash removes what the crashed
// run left, as it does for VIPs.
type bgpAddresses struct {
	d    *Director
	held map[netip.Prefix]string // address → interface, as added by this run
}

func (a *bgpAddresses) vip(p netip.Prefix, dev string) vrrp.VIP {
	return vrrp.VIP{Prefix: p, Dev: dev, Scope: "global"}
}

func (a *bgpAddresses) Set(name string, list []netip.Prefix) error {
	if err := a.d.bgp.dummies.Ensure(name); err != nil {
		return err
	}
	want := map[netip.Prefix]bool{}
	for _, p := range list {
		want[p] = true
		if dev, ok := a.held[p]; ok && dev == name {
			continue
		}
		if err := a.d.ledger.AddVIP(a.vip(p, name)); err != nil {
			return err
		}
		a.held[p] = name
	}
	for p, dev := range a.held {
		if want[p] && dev == name {
			continue
		}
		if err := a.d.ledger.DelVIP(a.vip(p, dev)); err != nil {
			return err
		}
		delete(a.held, p)
	}
	return nil
}

func (a *bgpAddresses) Remove(name string) error {
	var errs []error
	for p, dev := range a.held {
		if dev != name {
			continue
		}
		if err := a.d.ledger.DelVIP(a.vip(p, dev)); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(a.held, p)
	}
	errs = append(errs, a.d.bgp.dummies.Remove(name))
	return errors.Join(errs...)
}

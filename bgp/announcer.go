package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"sort"
	"sync"
	"time"
)

// Reasons a prefix is announced or withdrawn, as status shows them.
const (
	ReasonAnnounced = "every tracked virtual server has quorum"
	ReasonUntracked = "tracks no virtual server"
	ReasonDraining  = "draining"
	ReasonStopping  = "stopping"
	ReasonStarting  = "waiting for the first health checks"
)

// Announcer decides which prefixes are announced and keeps the speaker and the dummy
// interface in line with it: a prefix is announced while every virtual server its
// bgp_announce tracks has quorum and the director is not draining; it is withdrawn as soon
// as one loses quorum. Its methods are safe for concurrent use; each change reaches the
// speaker before the method returns.
type Announcer struct {
	sp    Speaker
	addrs Addresses // nil: no interface is managed (tests of the gating alone)
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	cfg      Config
	started  bool
	quorum   map[string]bool // track_virtual_server name → quorum held; absent: not known yet
	drained  bool
	drainAt  time.Time // when the drain began
	drainFor time.Duration
	state    map[netip.Prefix]*prefixState
}

type prefixState struct {
	announce  string
	announced bool
	reason    string
	since     time.Time
}

// NewAnnouncer returns an Announcer that drives sp and, when addrs is not nil, keeps the
// announced addresses on the configured dummy interface.
func NewAnnouncer(sp Speaker, addrs Addresses, log *slog.Logger) *Announcer {
	if log == nil {
		log = slog.Default()
	}
	return &Announcer{sp: sp, addrs: addrs, log: log, now: time.Now, quorum: map[string]bool{}, state: map[netip.Prefix]*prefixState{}}
}

// Start puts every configured address on the dummy interface, starts the speaker with the
// neighbors, and announces what may be announced (nothing until the health checks report,
// unless an announcement tracks nothing).
func (a *Announcer) Start(ctx context.Context, c Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return errors.New("bgp: announcer already started")
	}
	if err := a.setAddresses(c); err != nil {
		return err
	}
	if err := a.sp.Start(ctx, c.Speaker); err != nil {
		return err
	}
	a.cfg, a.started = c, true
	a.log.Info("BGP speaker started", "asn", c.Speaker.ASN, "router_id", c.Speaker.RouterID, "neighbors", len(c.Speaker.Neighbors))
	a.evaluate(ctx)
	return nil
}

func (a *Announcer) setAddresses(c Config) error {
	if a.addrs == nil {
		return nil
	}
	var all []netip.Prefix
	for _, an := range c.Announces {
		all = append(all, an.Prefixes...)
	}
	if err := a.addrs.Set(c.Interface, all); err != nil {
		return fmt.Errorf("bgp: interface %s: %w", c.Interface, err)
	}
	return nil
}

// Reload applies c in place: neighbors are added, changed or removed, prefixes announced or
// withdrawn by the same rule. A new AS, router ID or listen port restarts the speaker (its
// sessions go down and come back), since GoBGP cannot change them in place.
func (a *Announcer) Reload(ctx context.Context, c Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.started {
		return errors.New("bgp: announcer not started")
	}
	if c.Interface != a.cfg.Interface && a.addrs != nil {
		if err := a.addrs.Remove(a.cfg.Interface); err != nil {
			a.log.Warn("BGP: cannot remove the old interface", "interface", a.cfg.Interface, "err", err)
		}
	}
	if err := a.setAddresses(c); err != nil {
		return err
	}
	old := a.cfg.Speaker
	switch {
	case old.ASN != c.Speaker.ASN || old.RouterID != c.Speaker.RouterID || old.ListenPort != c.Speaker.ListenPort:
		a.log.Info("BGP speaker restarts: asn, router_id or listen_port changed")
		if err := a.sp.Stop(ctx); err != nil {
			a.log.Warn("BGP: stopping the speaker", "err", err)
		}
		for _, st := range a.state {
			st.announced = false
		}
		if err := a.sp.Start(ctx, c.Speaker); err != nil {
			a.started = false
			return err
		}
	case !reflect.DeepEqual(old.Neighbors, c.Speaker.Neighbors):
		if err := a.sp.SetNeighbors(ctx, c.Speaker.Neighbors); err != nil {
			a.log.Error("BGP: neighbors not all applied", "err", err)
		}
	}
	a.cfg = c
	a.evaluate(ctx)
	return nil
}

// SetQuorum records whether the virtual server(s) named name (a track_virtual_server name)
// have quorum, and withdraws or announces at once what depends on it.
func (a *Announcer) SetQuorum(name string, up bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.quorum[name]; ok && old == up {
		return
	}
	a.quorum[name] = up
	if a.started {
		a.evaluate(context.Background())
	}
}

// Drain withdraws every prefix and keeps them withdrawn until Undrain. It returns the
// prefixes it withdrew and the longest drain_time among their announcements: how long
// established connections should be given before the director stops.
func (a *Announcer) Drain() (withdrawn []netip.Prefix, wait time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.drain(ReasonDraining)
}

func (a *Announcer) drain(reason string) ([]netip.Prefix, time.Duration) {
	var withdrawn []netip.Prefix
	var wait time.Duration
	for p, st := range a.state {
		if st.announced {
			withdrawn = append(withdrawn, p)
			wait = max(wait, a.drainTime(st.announce))
		}
	}
	if !a.drained || len(withdrawn) > 0 {
		a.drainAt, a.drainFor = a.now(), wait
	}
	a.drained = true
	if a.started {
		a.evaluateWith(context.Background(), reason)
	}
	sortPrefixes(withdrawn)
	return withdrawn, wait
}

func (a *Announcer) drainTime(announce string) time.Duration {
	for _, an := range a.cfg.Announces {
		if an.Name == announce {
			return an.DrainTime
		}
	}
	return 0
}

// Undrain ends a drain: what may be announced is announced again.
func (a *Announcer) Undrain() []netip.Prefix {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drained = false
	if a.started {
		a.evaluate(context.Background())
	}
	var out []netip.Prefix
	for p, st := range a.state {
		if st.announced {
			out = append(out, p)
		}
	}
	sortPrefixes(out)
	return out
}

// Stop withdraws every prefix, waits out the drain time of what was announced (less what
// an earlier Drain already waited; ctx ends the wait early), then stops the speaker and
// removes the dummy interface.
func (a *Announcer) Stop(ctx context.Context) {
	a.mu.Lock()
	if !a.started {
		a.mu.Unlock()
		return
	}
	withdrawn, _ := a.drain(ReasonStopping)
	until := a.drainAt.Add(a.drainFor)
	a.mu.Unlock()
	if wait := until.Sub(a.now()); wait > 0 {
		a.log.Info("BGP: prefixes withdrawn; waiting drain_time before stopping", "withdrawn", len(withdrawn), "wait", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.sp.Stop(sctx); err != nil {
		a.log.Warn("BGP: stopping the speaker", "err", err)
	}
	if a.addrs != nil {
		if err := a.addrs.Remove(a.cfg.Interface); err != nil {
			a.log.Warn("BGP: cannot remove the interface", "interface", a.cfg.Interface, "err", err)
		}
	}
	a.started = false
	a.log.Info("BGP speaker stopped")
}

// evaluate brings every prefix to the state the rule gives, calling the speaker for each
// change. Called with mu held.
func (a *Announcer) evaluate(ctx context.Context) { a.evaluateWith(ctx, ReasonDraining) }

func (a *Announcer) evaluateWith(ctx context.Context, drainReason string) {
	seen := map[netip.Prefix]bool{}
	for _, an := range a.cfg.Announces {
		want, reason := a.wanted(an, drainReason)
		for _, p := range an.Prefixes {
			seen[p] = true
			st := a.state[p]
			if st == nil {
				st = &prefixState{announce: an.Name, since: a.now()}
				a.state[p] = st
			}
			st.announce = an.Name
			a.apply(ctx, p, st, want, reason)
		}
	}
	for p, st := range a.state {
		if seen[p] {
			continue
		}
		a.apply(ctx, p, st, false, "no longer configured")
		if !st.announced {
			delete(a.state, p)
		}
	}
}

// wanted says whether an's prefixes should be announced now, and why.
func (a *Announcer) wanted(an Announce, drainReason string) (bool, string) {
	if a.drained {
		return false, drainReason
	}
	if len(an.Track) == 0 {
		return true, ReasonUntracked
	}
	var unknown []string
	for _, name := range an.Track {
		up, known := a.quorum[name]
		switch {
		case !known:
			unknown = append(unknown, name)
		case !up:
			return false, fmt.Sprintf("virtual server %s lost quorum", name)
		}
	}
	if len(unknown) > 0 {
		return false, ReasonStarting
	}
	return true, ReasonAnnounced
}

func (a *Announcer) apply(ctx context.Context, p netip.Prefix, st *prefixState, want bool, reason string) {
	if st.announced == want {
		if st.reason != reason {
			st.reason = reason
		}
		return
	}
	var err error
	if want {
		err = a.sp.Announce(ctx, p)
	} else {
		err = a.sp.Withdraw(ctx, p)
	}
	if err != nil {
		a.log.Error("BGP: announcement change failed", "prefix", p, "announce", want, "err", err)
		st.reason = err.Error()
		return
	}
	st.announced, st.reason, st.since = want, reason, a.now()
	if want {
		a.log.Info("BGP: prefix announced", "prefix", p, "bgp_announce", st.announce, "reason", reason)
	} else {
		a.log.Info("BGP: prefix withdrawn", "prefix", p, "bgp_announce", st.announce, "reason", reason)
	}
}

func sortPrefixes(ps []netip.Prefix) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].Addr().Less(ps[j].Addr()) })
}

package vrrp

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

func keyOf(c InstanceConfig) TransportKey {
	k := TransportKey{Dev: c.Interface, IPv6: c.IPv6(), Unicast: len(c.UnicastPeers) > 0}
	if k.Unicast {
		k.Src, k.TTL = c.UnicastSrc, cmp.Or(c.UnicastTTL, TTL)
	} else {
		k.Src, k.Group = c.UnicastSrc, c.keyGroup() // mcast_src_ip, vrrp_mcast_group4/6
	}
	return k
}

// Apply makes the running instances and sync groups those given: it validates everything
// first (nothing is applied on error), stops instances that are gone, reloads in place
// those whose VRRP settings did not change (they keep their state and VIPs), restarts the
// others, and starts new ones. Use it at startup and on SIGHUP. Opening a Transport on an
// interface without a usable source address yet (a tentative IPv6 link-local) is retried for
// a few seconds, during which Apply waits.
//
// Apply returns once the instances it stops have sent their priority-0 advert, released
// their VIPs and reported their STOP; their notify_stop scripts may still be running (each
// within its notify timeout). Calls to Apply are serialised. Readers (Instances, Status,
// SyncGroup) never wait for the slow parts of an Apply: opening transports, stopping
// instances, scripts.
func (r *Router) Apply(cfgs []InstanceConfig, groups []SyncGroupConfig) error {
	return r.apply(cfgs, groups, false)
}

// Shutdown stops every instance as keepalived does on SIGTERM (priority 0 from each
// MASTER, VIPs released, notify_stop run), then closes the transports. Unlike Apply, it
// waits for the notify scripts: those of the instances it stops and those an earlier Apply
// left running.
func (r *Router) Shutdown() {
	_ = r.apply(nil, nil, true)
}

func (r *Router) apply(cfgs []InstanceConfig, groups []SyncGroupConfig, final bool) error {
	want, groupOf, err := validateApply(cfgs, groups)
	if err != nil {
		return err
	}
	if err := r.checkRoutes(cfgs); err != nil {
		return err
	}
	wantList := make([]InstanceConfig, 0, len(want))
	for _, c := range cfgs {
		wantList = append(wantList, want[c.Name])
	}

	// Only apply changes the Router's maps, under applyMu, so it reads them without r.mu and
	// takes r.mu only to change them: readers never wait for a transport to open, an
	// instance to stop or a script to end.
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	runningGroups := map[string][]string{}
	for name, g := range r.groups {
		runningGroups[name] = g.memberNames()
	}
	p := planReload(r.configs, runningGroups, wantList, groups)
	if !final {
		r.deps.Logger.Debug("VRRP reload plan", "plan", p.String())
	}

	opened, err := r.openTransports(p, want)
	if err != nil {
		return err
	}
	if !final {
		r.markDeleted(p.Stop) // notify_events.go
	}
	r.stopInstances(slices.Concat(p.Stop, p.Restart), opened, final)
	oldGroups, started := r.install(p, want, groups, groupOf)
	for _, g := range oldGroups {
		r.handOff(g.stop(final))
	}
	for _, name := range p.InPlace {
		r.instances[name].reload(want[name], r.groups[groupOf[name]])
	}
	for _, inst := range started {
		inst.start()
	}
	r.closeUnused()
	if final {
		for _, w := range r.notifying() {
			w.wait()
		}
	}
	return nil
}

// openTransports opens the transports that started and moved instances need, before
// anything changes, so that a failure leaves the running set as it was.
func (r *Router) openTransports(p reloadPlan, want map[string]InstanceConfig) (map[TransportKey]Transport, error) {
	opened := map[TransportKey]Transport{}
	for _, name := range slices.Concat(p.Start, p.Restart, p.Move) {
		k := keyOf(want[name])
		if _, ok := r.transports[k]; ok {
			continue
		}
		if _, ok := opened[k]; ok {
			continue
		}
		t, err := r.openTransport(k)
		if err != nil {
			for _, t := range opened {
				t.Close()
			}
			return nil, fmt.Errorf("vrrp: instance %q: %w", name, err)
		}
		opened[k] = t
	}
	return opened, nil
}

// stopInstances starts receiving on the opened transports and stops the instances named, in
// parallel (each sends its priority-0 advert at once), after taking them out of the maps so
// that readers no longer see them.
func (r *Router) stopInstances(names []string, opened map[TransportKey]Transport, final bool) {
	r.mu.Lock()
	for k, t := range opened {
		st := &sharedTransport{key: k, t: t, log: r.deps.Logger.With("dev", k.Dev), done: make(chan struct{}), byVRID: map[uint8]*Instance{}}
		r.transports[k] = st
		go st.receive(r.deps.Clock, r.deps.AdvertSched)
	}
	var stopping []*Instance
	for _, name := range names {
		stopping = append(stopping, r.instances[name])
		r.detach(name)
	}
	r.mu.Unlock()
	notifying := make([]*worker, len(stopping))
	var wg sync.WaitGroup
	for n, inst := range stopping {
		wg.Go(func() { notifying[n] = inst.shutdown(final) })
	}
	wg.Wait()
	r.handOff(notifying...)
}

// install makes the maps those of the plan: sync groups rebuilt, the kept instances' new
// settings recorded and their transports moved, new instances made (not yet started). It
// returns the sync groups that end and the instances to start.
func (r *Router) install(p reloadPlan, want map[string]InstanceConfig, groups []SyncGroupConfig,
	groupOf map[string]string) (ended []*SyncGroup, started []*Instance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ended = r.rebuildGroups(p, groups, groupOf)
	for _, name := range p.InPlace {
		r.configs[name] = want[name]
	}
	for _, name := range p.Move {
		r.move(r.instances[name], want[name])
	}
	for _, name := range slices.Concat(p.Start, p.Restart) {
		c := want[name]
		st := r.transports[keyOf(c)]
		g := r.groups[groupOf[name]] // nil when not in a group
		inst := newInstance(&r.deps, st, c, g)
		if g != nil {
			g.addMember(inst)
		}
		st.mu.Lock()
		st.byVRID[c.VRID] = inst
		st.mu.Unlock()
		r.instances[name], r.configs[name] = inst, c
		started = append(started, inst)
	}
	r.groupOf = groupOf
	return ended, started
}

// validateApply checks cfgs and groups whole and returns the instances by name, with
// keepalived's defaults, and each grouped instance's sync group.
func validateApply(cfgs []InstanceConfig, groups []SyncGroupConfig) (map[string]InstanceConfig, map[string]string, error) {
	want := map[string]InstanceConfig{}
	vrids := map[TransportKey]map[uint8]string{}
	for _, c := range cfgs {
		if err := c.Validate(); err != nil {
			return nil, nil, err
		}
		c = c.withDefaults()
		if _, dup := want[c.Name]; dup {
			return nil, nil, fmt.Errorf("%w %q: defined twice", ErrConfig, c.Name)
		}
		k := keyOf(c)
		k.Src, k.Unicast, k.TTL = netip.Addr{}, false, 0 // one VRID per interface and family
		if vrids[k] == nil {
			vrids[k] = map[uint8]string{}
		}
		if other, dup := vrids[k][c.VRID]; dup {
			return nil, nil, fmt.Errorf("%w %q: virtual_router_id %d on %s is also %q's", ErrConfig, c.Name, c.VRID, c.Interface, other)
		}
		vrids[k][c.VRID] = c.Name
		want[c.Name] = c
	}
	groupOf := map[string]string{}
	seen := map[string]bool{}
	for _, g := range groups {
		if g.Name == "" || len(g.Members) == 0 {
			return nil, nil, fmt.Errorf("%w: sync group %q has no name or no members", ErrConfig, g.Name)
		}
		if seen[g.Name] {
			return nil, nil, fmt.Errorf("%w: sync group %q defined twice", ErrConfig, g.Name)
		}
		seen[g.Name] = true
		for _, m := range g.Members {
			if _, ok := want[m]; !ok {
				return nil, nil, fmt.Errorf("%w: sync group %q: no instance %q", ErrConfig, g.Name, m)
			}
			if other, dup := groupOf[m]; dup {
				return nil, nil, fmt.Errorf("%w: instance %q is in sync groups %q and %q", ErrConfig, m, other, g.Name)
			}
			groupOf[m] = g.Name
		}
	}
	return want, groupOf, nil
}

// rebuildGroups makes the sync groups those of the plan: rebuilt groups are new objects
// whose kept members keep what the old groups knew of them (they join in place, in their
// loops, when reload gives them the group); kept groups take their new notify settings.
// It returns the groups that end. Called with r.mu held; started instances are added to
// their groups by the caller.
func (r *Router) rebuildGroups(p reloadPlan, groups []SyncGroupConfig, groupOf map[string]string) (ended []*SyncGroup) {
	byName := map[string]SyncGroupConfig{}
	for _, g := range groups {
		byName[g.Name] = g
	}
	for _, name := range p.Keep {
		r.groups[name].notif.setConfig(byName[name].Notify)
	}
	fresh := map[string]*SyncGroup{}
	for _, name := range p.Rebuild {
		c := byName[name]
		n := &notifier{kind: "GROUP", name: name, run: r.deps.RunScript,
			log: r.deps.Logger.With("sync_group", name), jobs: newWorker(), cfg: c.Notify}
		g := newSyncGroup(c, n, r.deps.OnStateChange)
		for _, m := range c.Members {
			inst := r.instances[m]
			if inst == nil {
				continue // started or restarted: added by the caller
			}
			g.inherit(r.groups[r.groupOf[m]], inst)
		}
		if old := r.groups[name]; old != nil {
			g.inheritState(old)
		}
		fresh[name] = g
	}
	for name, g := range r.groups {
		if fresh[name] != nil || slices.Contains(p.Drop, name) {
			ended = append(ended, g)
			delete(r.groups, name)
		}
	}
	for name, g := range fresh {
		r.groups[name] = g
	}
	return ended
}

// move hands inst to the Transport its new configuration c needs (a change of unicast mode
// or source); the old one closes in closeUnused when no instance uses it. Called with r.mu
// held.
func (r *Router) move(inst *Instance, c InstanceConfig) {
	from, to := inst.tx.Load(), r.transports[keyOf(c)]
	from.mu.Lock()
	if from.byVRID[c.VRID] == inst {
		delete(from.byVRID, c.VRID)
	}
	from.mu.Unlock()
	to.mu.Lock()
	to.byVRID[c.VRID] = inst
	to.mu.Unlock()
	inst.tx.Store(to)
}

// handOff keeps notify workers that are finishing their scripts without being waited for,
// so that the final Shutdown can wait for them.
func (r *Router) handOff(ws ...*worker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draining = slices.DeleteFunc(r.draining, (*worker).finished)
	for _, w := range ws {
		if w != nil {
			r.draining = append(r.draining, w)
		}
	}
}

// notifying returns the handed-off notify workers still running.
func (r *Router) notifying() []*worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draining = slices.DeleteFunc(r.draining, (*worker).finished)
	return slices.Clone(r.draining)
}

// How long openTransport keeps trying while the interface has no source address: an IPv6
// link-local address is tentative for about a second after the link comes up (duplicate
// address detection), and a DHCP or NetworkManager address may come a little later.
const (
	openRetryFor   = 5 * time.Second
	openRetryFirst = 50 * time.Millisecond
	openRetryMax   = time.Second
)

// openTransport opens the Transport for k. While it fails with ErrNoSourceAddress it tries
// again, waiting 50 ms and doubling up to 1 s, for up to openRetryFor; any other error
// fails at once.
func (r *Router) openTransport(k TransportKey) (Transport, error) {
	deadline := r.deps.Clock.Now().Add(openRetryFor)
	wait := openRetryFirst
	for {
		t, err := r.deps.OpenTransport(k)
		if err == nil || !errors.Is(err, ErrNoSourceAddress) || !r.deps.Clock.Now().Before(deadline) {
			return t, err
		}
		r.deps.Logger.Info("no source address yet; retrying", "dev", k.Dev, "ipv6", k.IPv6, "in", wait)
		sleep(r.deps.Clock, wait)
		wait = min(2*wait, openRetryMax)
	}
}

// sleep waits d on clock.
func sleep(clock Clock, d time.Duration) {
	ch := make(chan struct{})
	clock.AfterFunc(d, func() { close(ch) })
	<-ch
}

// detach forgets an instance that is to stop. Called with r.mu held.
func (r *Router) detach(name string) {
	inst := r.instances[name]
	st := inst.tx.Load()
	st.mu.Lock()
	if st.byVRID[r.configs[name].VRID] == inst {
		delete(st.byVRID, r.configs[name].VRID)
	}
	st.mu.Unlock()
	if g := r.groups[r.groupOf[name]]; g != nil {
		g.removeMember(inst)
	}
	delete(r.instances, name)
	delete(r.configs, name)
	delete(r.groupOf, name)
}

// closeUnused closes transports no instance uses any more. Called with applyMu held.
func (r *Router) closeUnused() {
	var closing []*sharedTransport
	r.mu.Lock()
	for k, st := range r.transports {
		st.mu.RLock()
		n := len(st.byVRID)
		st.mu.RUnlock()
		if n == 0 {
			closing = append(closing, st)
			delete(r.transports, k)
		}
	}
	r.mu.Unlock()
	for _, st := range closing {
		st.t.Close()
		<-st.done
	}
}

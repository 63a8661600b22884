package vrrp

import (
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
		k.Src = c.UnicastSrc
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
	want := map[string]InstanceConfig{}
	vrids := map[TransportKey]map[uint8]string{}
	for _, c := range cfgs {
		if err := c.Validate(); err != nil {
			return err
		}
		c = c.withDefaults()
		if _, dup := want[c.Name]; dup {
			return fmt.Errorf("%w %q: defined twice", ErrConfig, c.Name)
		}
		k := keyOf(c)
		k.Src, k.Unicast = netip.Addr{}, false // one VRID per interface and family
		if vrids[k] == nil {
			vrids[k] = map[uint8]string{}
		}
		if other, dup := vrids[k][c.VRID]; dup {
			return fmt.Errorf("%w %q: virtual_router_id %d on %s is also %q's", ErrConfig, c.Name, c.VRID, c.Interface, other)
		}
		vrids[k][c.VRID] = c.Name
		want[c.Name] = c
	}
	groupOf := map[string]string{}
	for _, g := range groups {
		if g.Name == "" || len(g.Members) == 0 {
			return fmt.Errorf("%w: sync group %q has no name or no members", ErrConfig, g.Name)
		}
		for _, m := range g.Members {
			if _, ok := want[m]; !ok {
				return fmt.Errorf("%w: sync group %q: no instance %q", ErrConfig, g.Name, m)
			}
			if other, dup := groupOf[m]; dup {
				return fmt.Errorf("%w: instance %q is in sync groups %q and %q", ErrConfig, m, other, g.Name)
			}
			groupOf[m] = g.Name
		}
	}

	// Only apply changes the Router's maps, under applyMu, so it reads them without r.mu and
	// takes r.mu only to change them: readers never wait for a transport to open, an
	// instance to stop or a script to end.
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	// Decide what happens to each instance; open the transports that new ones need before
	// touching anything, so a failure leaves the running set as it was.
	var stop, start []string
	var reload []string
	for name, c := range want {
		old, running := r.configs[name]
		switch {
		case !running:
			start = append(start, name)
		case vrrpSame(old, c) && r.groupOf[name] == groupOf[name]:
			reload = append(reload, name)
		default:
			stop = append(stop, name)
			start = append(start, name)
		}
	}
	for name := range r.configs {
		if _, ok := want[name]; !ok {
			stop = append(stop, name)
		}
	}
	// A sync group with a new or restarted member is rebuilt, so all its members restart.
	changedGroups := map[string]bool{}
	for _, g := range groups {
		changedGroups[g.Name] = groupChanged(r, groups, g.Name) ||
			slices.ContainsFunc(g.Members, func(m string) bool { return slices.Contains(start, m) })
	}
	reload = slices.DeleteFunc(reload, func(name string) bool {
		if changedGroups[groupOf[name]] {
			stop = append(stop, name)
			start = append(start, name)
			return true
		}
		return false
	})
	opened := map[TransportKey]Transport{}
	for _, name := range start {
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
			return fmt.Errorf("vrrp: instance %q: %w", name, err)
		}
		opened[k] = t
	}

	// Stop what goes, in parallel (each sends its priority-0 advert at once), after taking
	// it out of the maps so that readers no longer see it.
	r.mu.Lock()
	for k, t := range opened {
		st := &sharedTransport{key: k, t: t, log: r.deps.Logger.With("dev", k.Dev), done: make(chan struct{}), byVRID: map[uint8]*Instance{}}
		r.transports[k] = st
		go st.receive(r.deps.Clock)
	}
	var stopping []*Instance
	for _, name := range stop {
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

	// Changed sync groups are rebuilt with their (restarted) members.
	var oldGroups []*SyncGroup
	r.mu.Lock()
	for _, g := range groups {
		if old, ok := r.groups[g.Name]; !ok || changedGroups[g.Name] {
			if ok {
				oldGroups = append(oldGroups, old)
			}
			n := &notifier{kind: "GROUP", name: g.Name, run: r.deps.RunScript,
				log: r.deps.Logger.With("sync_group", g.Name), jobs: newWorker(), cfg: g.Notify}
			r.groups[g.Name] = newSyncGroup(g, n, r.deps.OnStateChange)
		} else {
			r.groups[g.Name].notif.setConfig(g.Notify)
		}
	}
	for _, name := range reload {
		r.configs[name] = want[name]
	}
	var started []*Instance
	for _, name := range start {
		c := want[name]
		st := r.transports[keyOf(c)]
		var g *SyncGroup
		if gn := groupOf[name]; gn != "" {
			g = r.groups[gn]
		}
		inst := newInstance(&r.deps, st, c, g)
		if g != nil {
			g.mu.Lock()
			g.members = append(g.members, inst)
			g.mu.Unlock()
		}
		st.mu.Lock()
		st.byVRID[c.VRID] = inst
		st.mu.Unlock()
		r.instances[name], r.configs[name] = inst, c
		started = append(started, inst)
	}
	r.groupOf = groupOf
	for name, g := range r.groups {
		if !slices.ContainsFunc(groups, func(c SyncGroupConfig) bool { return c.Name == name }) {
			oldGroups = append(oldGroups, g)
			delete(r.groups, name)
		}
	}
	r.mu.Unlock()

	for _, g := range oldGroups {
		r.handOff(g.stop(final))
	}
	for _, name := range reload {
		r.instances[name].reload(want[name])
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

// groupChanged reports whether sync group name differs between the running set and the
// new configuration (members or existence).
func groupChanged(r *Router, groups []SyncGroupConfig, name string) bool {
	if name == "" {
		return false
	}
	g, ok := r.groups[name]
	idx := slices.IndexFunc(groups, func(c SyncGroupConfig) bool { return c.Name == name })
	if !ok || idx < 0 {
		return true
	}
	var running []string
	g.mu.Lock()
	for _, m := range g.members {
		running = append(running, m.Name())
	}
	g.mu.Unlock()
	want := slices.Clone(groups[idx].Members)
	slices.Sort(running)
	slices.Sort(want)
	return !slices.Equal(running, want)
}

// detach forgets an instance that is to stop. Called with r.mu held.
func (r *Router) detach(name string) {
	inst := r.instances[name]
	st := inst.tx
	st.mu.Lock()
	if st.byVRID[r.configs[name].VRID] == inst {
		delete(st.byVRID, r.configs[name].VRID)
	}
	st.mu.Unlock()
	if g := inst.group; g != nil {
		g.mu.Lock()
		g.members = slices.DeleteFunc(g.members, func(m *Instance) bool { return m == inst })
		g.mu.Unlock()
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

package director

import (
	"reflect"
	"sync"

	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/vrrp"
)

// trackFeed remembers the state of every object the director feeds to the instances
// (vrrp_script results, virtual servers' quorum), so that an instance started or restarted
// by a reload learns them at once.
type trackFeed struct {
	mu      sync.Mutex
	known   map[trackRef]bool
	values  map[trackRef]int             // track_file values
	reverse map[string]map[trackRef]bool // instance → refs it tracks reversed

	watch watchers // guarded by the Director's mu, not by mu: trackers.go
}

func (t *trackFeed) init() { t.known, t.values = map[trackRef]bool{}, map[trackRef]int{} }

// setPlan forgets objects p no longer has and takes p's reverse flags.
func (t *trackFeed) setPlan(p plan) {
	t.mu.Lock()
	defer t.mu.Unlock()
	keep := map[trackRef]bool{}
	for _, s := range p.vrrp.Scripts {
		keep[trackRef{vrrp.TrackScript, s.Name}] = true
	}
	for _, h := range p.health {
		keep[trackRef{vrrp.TrackVirtualServer, h.Track}] = true
	}
	for _, f := range p.vrrp.Files {
		keep[trackRef{vrrp.TrackFile, f.Name}] = true
	}
	for _, s := range p.vrrp.Processes {
		keep[trackRef{vrrp.TrackProcess, s.Name}] = true
	}
	for ref := range t.known {
		if !keep[ref] {
			delete(t.known, ref)
		}
	}
	for ref := range t.values {
		if !keep[ref] {
			delete(t.values, ref)
		}
	}
	t.reverse = p.vrrp.Reverse
}

// feed records ref's state and tells every instance; instances that do not track ref
// ignore it. SetTracked never blocks.
func (d *Director) feed(ref trackRef, up bool) {
	t := &d.track
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.known[ref]; ok && old == up {
		return
	}
	t.known[ref] = up
	for _, inst := range d.router.Instances() {
		inst.SetTracked(ref.Kind, ref.Name, up != t.reverse[inst.Name()][ref])
	}
}

// feedValue records a track_file's value and tells every instance (see feed).
func (d *Director) feedValue(ref trackRef, v int) {
	t := &d.track
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.values[ref]; ok && old == v {
		return
	}
	t.values[ref] = v
	for _, inst := range d.router.Instances() {
		inst.SetTrackedValue(ref.Kind, ref.Name, v)
	}
}

// feedAll tells every instance every known state (after a reload started new instances).
func (d *Director) feedAll() {
	t := &d.track
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, inst := range d.router.Instances() {
		for ref, up := range t.known {
			inst.SetTracked(ref.Kind, ref.Name, up != t.reverse[inst.Name()][ref])
		}
		for ref, v := range t.values {
			inst.SetTrackedValue(ref.Kind, ref.Name, v)
		}
	}
}

// scriptRunner is one running vrrp_script.
type scriptRunner struct {
	plan    ScriptPlan
	tracker *vrrp.ScriptTracker
}

func (s *scriptRunner) stop() { s.tracker.Stop() }

// syncScripts keeps the vrrp_scripts that did not change running (with their rise/fall
// state), stops the others and starts the new ones. Called with d.mu held.
func (d *Director) syncScripts(want []ScriptPlan) {
	names := map[string]bool{}
	for _, sp := range want {
		names[sp.Name] = true
		if cur, ok := d.scripts[sp.Name]; ok {
			if reflect.DeepEqual(cur.plan, sp) {
				continue
			}
			cur.stop()
		}
		d.startScript(sp)
	}
	for name, cur := range d.scripts {
		if !names[name] {
			cur.stop()
			delete(d.scripts, name)
		}
	}
}

func (d *Director) startScript(sp ScriptPlan) {
	ref := trackRef{vrrp.TrackScript, sp.Name}
	user, group := sp.User, sp.Group
	if user == "" {
		user, group = d.cfg.Global.ScriptUser, d.cfg.Global.ScriptGroup
	}
	cred, err := d.opts.Users.credential(user, group)
	if err != nil {
		d.log.Error("vrrp_script cannot run as its user; it counts as failed", "script", sp.Name, "err", err)
		d.feed(ref, false)
		return
	}
	d.track.mu.Lock()
	delete(d.track.known, ref) // a restarted script settles its state anew
	d.track.mu.Unlock()
	if sp.InitFail {
		d.feed(ref, false)
	}
	log := d.log.With("script", sp.Name) // the tracker adds "script" to its own logger
	tr := vrrp.NewScriptTracker(sp.ScriptConfig, d.scriptRunnerAs(cred), d.opts.VRRPClock, d.log, func(up bool) {
		if up {
			log.Info("VRRP_Script succeeded", "state", "OK")
		} else {
			log.Warn("VRRP_Script failed", "state", "KO")
		}
		d.feed(ref, up)
	})
	d.scripts[sp.Name] = &scriptRunner{plan: sp, tracker: tr}
	tr.Start()
}

// instanceStates is the last state each instance reported.
type instanceStates struct {
	mu     sync.Mutex
	states map[string]vrrp.State
}

func (s *instanceStates) init() { s.states = map[string]vrrp.State{} }

func (s *instanceStates) state(name string) vrrp.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[name]
}

// onStateChange is vrrp's OnStateChange: called for each state change of an instance (from
// its kernel worker, after the VIPs and virtual_ipaddress_excluded are added or removed) or
// of a sync group. It writes the notify_fifo lines and queues the sync-daemon switch; it
// must not block, and must not take d.mu (Reload holds it while instances stop).
func (d *Director) onStateChange(c vrrp.StateChange) {
	d.fifos.write(c)
	if c.SyncGroup || c.Event != "" { // an event is a FIFO line only
		return
	}
	if c.To == vrrp.StateDeleted {
		c.To = vrrp.StateStop // notify_deleted renames the STOP for the notifies alone
	}
	d.observe(c)
	d.inst.mu.Lock()
	d.inst.states[c.Name] = c.To
	d.inst.mu.Unlock()
	if s := d.ipvs.Load(); s != nil {
		s.instanceState(c.Name, c.To)
		s.handoverChange(c) // handover_forward.go
	}
}

// onHealthEvent is the health scheduler's OnEvent: it queues the event for the IPVS side.
// It must not block: the checks wait for it.
func (d *Director) onHealthEvent(ev healthcheck.Event) {
	d.noteHealthEvent(ev)
	if s := d.ipvs.Load(); s != nil {
		s.q.do(func() { s.event(ev) })
	}
}

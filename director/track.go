package director

import (
	"reflect"
	"slices"
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
	reverse map[string]map[trackRef]bool // instance → refs it tracks reversed
}

func (t *trackFeed) init() { t.known = map[trackRef]bool{} }

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
	for ref := range t.known {
		if !keep[ref] {
			delete(t.known, ref)
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

// feedAll tells every instance every known state (after a reload started new instances).
func (d *Director) feedAll() {
	t := &d.track
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, inst := range d.router.Instances() {
		for ref, up := range t.known {
			inst.SetTracked(ref.Kind, ref.Name, up != t.reverse[inst.Name()][ref])
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
	log := d.log.With("script", sp.Name)
	tr := vrrp.NewScriptTracker(sp.ScriptConfig, scriptRunnerAs(cred), d.opts.VRRPClock, log, func(up bool) {
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

// instanceStates is the last state each instance reported, and the excluded VIPs the
// director manages for it.
type instanceStates struct {
	mu       sync.Mutex
	states   map[string]vrrp.State
	excluded map[string][]vrrp.VIP // from the plan
	added    map[string][]vrrp.VIP // in the kernel now (kernel queue's view)
}

func (s *instanceStates) init() {
	s.states, s.excluded, s.added = map[string]vrrp.State{}, map[string][]vrrp.VIP{}, map[string][]vrrp.VIP{}
}

func (s *instanceStates) state(name string) vrrp.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[name]
}

// onInstanceState is called by the tap, from an instance's notify worker, on each state
// change. It only queues work.
func (d *Director) onInstanceState(name string, st vrrp.State) {
	d.inst.mu.Lock()
	d.inst.states[name] = st
	d.inst.mu.Unlock()
	if s := d.ipvs.Load(); s != nil {
		s.instanceState(name, st)
	}
	d.kernel.do(func() { d.syncExcluded(name) })
}

// setExcluded takes a new plan's virtual_ipaddress_excluded and brings the kernel in line.
func (d *Director) setExcluded(ex map[string][]vrrp.VIP) {
	d.inst.mu.Lock()
	names := map[string]bool{}
	for n := range d.inst.excluded {
		names[n] = true
	}
	for n := range ex {
		names[n] = true
	}
	d.inst.excluded = ex
	d.inst.mu.Unlock()
	for n := range names {
		d.kernel.do(func() { d.syncExcluded(n) })
	}
}

// syncExcluded adds an instance's excluded VIPs while it is MASTER and removes them
// otherwise. Runs on the kernel queue.
func (d *Director) syncExcluded(name string) {
	d.inst.mu.Lock()
	var want []vrrp.VIP
	if d.inst.states[name] == vrrp.StateMaster {
		want = d.inst.excluded[name]
	}
	have := d.inst.added[name]
	d.inst.mu.Unlock()
	var now []vrrp.VIP
	for _, v := range have {
		if slices.Contains(want, v) {
			now = append(now, v)
			continue
		}
		if err := d.opts.Addresser.DelVIP(v); err != nil {
			d.log.Error("remove excluded VIP failed", "instance", name, "vip", v.Prefix, "err", err)
			now = append(now, v)
		}
	}
	for _, v := range want {
		if slices.Contains(have, v) {
			continue
		}
		if err := d.opts.Addresser.AddVIP(v); err != nil {
			d.log.Error("add excluded VIP failed", "instance", name, "vip", v.Prefix, "err", err)
			continue
		}
		now = append(now, v)
	}
	d.inst.mu.Lock()
	d.inst.added[name] = now
	d.inst.mu.Unlock()
}

// dropExcluded removes every excluded VIP still added (at the end of Run).
func (d *Director) dropExcluded() {
	d.inst.mu.Lock()
	added := d.inst.added
	d.inst.added = map[string][]vrrp.VIP{}
	d.inst.mu.Unlock()
	for name, vs := range added {
		for _, v := range vs {
			if err := d.opts.Addresser.DelVIP(v); err != nil {
				d.log.Error("remove excluded VIP failed", "instance", name, "vip", v.Prefix, "err", err)
			}
		}
	}
}

// onHealthEvent is the health scheduler's OnEvent: it queues the event for the IPVS side.
// It must not block: the checks wait for it.
func (d *Director) onHealthEvent(ev healthcheck.Event) {
	if s := d.ipvs.Load(); s != nil {
		s.q.do(func() { s.event(ev) })
	}
}

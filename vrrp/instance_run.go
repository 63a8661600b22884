package vrrp

import (
	"log/slog"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Instance runs one vrrp_instance: its state machine, timers and kernel side effects. It
// is created and driven by a Router. The loop goroutine owns the Machine and the timer;
// VIP changes and announcements run on a kernel worker, notify scripts on a notify worker,
// so the advert path never waits on netlink or a script.
type Instance struct {
	deps *Deps
	// tx is the Transport the instance sends on; a reload that changes the unicast mode or
	// source moves the instance to another (Router.move).
	tx     atomic.Pointer[sharedTransport]
	log    *slog.Logger
	logs   *logLimiter // the advert path's lines, rate-limited
	box    *inbox
	kernel *worker
	notif  *notifier
	group  *SyncGroup    // owned by the loop: a reload may move the instance to another group
	done   chan struct{} // closed when the loop has finished
	// rt, with Deps.AdvertSched, is what the loop waits on, on its own thread (sched_loop.go).
	rt *advertThread

	// The link watchers: device → the channel that stops its watcher. Changed by start,
	// reload and shutdown, which run in the Router's Apply (the caller's thread, whose
	// network namespace NetlinkLinkWatcher follows), never in the loop.
	watchMu sync.Mutex
	watched map[string]chan struct{}
	unwatch bool // set by shutdown: watch nothing more

	// Owned by the loop goroutine.
	cfg         InstanceConfig
	filter      ReceiveFilter
	m           *Machine
	tracks      trackState
	timer       Timer
	timerGen    uint64
	evTime      time.Time // time of the event being handled: timers run from it
	current     eventKind // the event being handled, as far as its actions care
	downFor     time.Duration
	downFrom    time.Time   // the receive time of the advert that armed the down timer; zero: none did
	deferred    downDefer   // the Master_Down timer waiting behind unread adverts (instance_downdefer.go)
	reportedOwn bool        // own-fault state last told to the sync group
	change      StateChange // the last Transition, reported with the Notify that follows it
	hold        holdState   // see Handover
	verifiedAt  time.Time   // when VerifyVIPs last went to the kernel worker

	owner *vipOwner // owned by the kernel worker

	// The advert path's reused memory (owned by the loop), so that a steady-state advert
	// cycle allocates nothing: garbage collection's pauses and assists delayed adverts on a
	// loaded machine (issue 12).
	advert   Advertisement // send's message, its Addrs reused
	sendBuf  []byte        // send's encoding
	sendDsts [1]netip.Addr // the group, when there are no unicast peers
	// The armed timer, read by fireArmed on the advert thread (the loop's own): arming it
	// needs no closure.
	armAt     time.Time
	armEv     Event
	armGen    uint64
	fireArmed func()

	ann announceSchedule

	// Fixed for the instance's life (a change restarts it): read without mu.
	name string

	deleted atomic.Bool // a reload removes the instance (notify_events.go)

	mu         sync.Mutex
	garpLocked garpSettings
	status     Status
	counters   Counters
	stopOnce   sync.Once
}

// input is one item of an instance's mailbox.
type input struct {
	at       time.Time
	ev       Event
	pkt      *Packet
	timerGen uint64 // for timer events: the arming they belong to
	fn       func() // run in the loop (reload, group updates)
	stop     bool
}

func newInstance(d *Deps, tx *sharedTransport, cfg InstanceConfig, group *SyncGroup) *Instance {
	log := d.Logger.With("instance", cfg.Name)
	i := &Instance{
		deps: d, log: log, box: newInbox(PacketQueueLimit), kernel: newWorker(), group: group,
		done: make(chan struct{}), cfg: cfg, filter: cfg.filter(),
		name: cfg.Name,
	}
	i.tx.Store(tx)
	i.rt = newInstanceThread(d, log, i.box) // sched_loop.go
	i.fireArmed = i.fireArmedTimer
	i.notif = &notifier{kind: "INSTANCE", name: cfg.Name, run: d.RunScript, log: log, jobs: newWorker(), cfg: cfg.Notify}
	i.m = NewMachine(cfg.machine(tx.t.LocalAddr(), group != nil))
	i.garpLocked = cfg.garpSettings()
	i.counters.Drops = map[DropReason]uint64{}
	i.counters.Transitions = map[State]uint64{}
	i.logs = newLogLimiter(log, d.Clock, logWindow, logBurst, i.countSuppressed)
	i.owner = &vipOwner{addr: d.Addresser, ann: d.Announcer, routes: d.Routes, log: log, logs: i.logs, garp: i.garp, count: i.count, pacer: d.pacer,
		vips: cfg.VIPs, excluded: cfg.ExcludedVIPs, virtualRoutes: cfg.VirtualRoutes, virtualRules: cfg.VirtualRules}
	i.status = Status{Name: cfg.Name, State: StateInit, Priority: cfg.Priority, BasePriority: cfg.Priority, Since: d.Clock.Now()}
	return i
}

// start begins the loop: the VIP owner gets ready (vipOwner.prepare), the links are
// watched, then the machine starts.
func (i *Instance) start() {
	i.kernel.do(i.owner.prepare)
	go i.loop()
	i.watchLinks(i.cfg)
	if wait := i.startupWait(); wait > 0 { // vrrp_startup_delay
		i.box.put(input{at: i.deps.Clock.Now(), fn: func() {
			i.log.Info("waiting for vrrp_startup_delay", "for", wait)
			i.arm(wait, Startup{})
		}})
		return
	}
	i.box.put(input{at: i.deps.Clock.Now(), ev: Startup{}})
}

// SetTracked reports the state of a tracked object: a vrrp_script result (after rise/fall),
// a virtual server's quorum, or an interface. Objects the instance does not track are
// ignored. Safe for concurrent use; it never blocks.
func (i *Instance) SetTracked(kind TrackKind, name string, up bool) {
	i.box.put(input{at: i.deps.Clock.Now(), fn: func() { i.setTracked(kind, name, up) }})
}

func (i *Instance) setTracked(kind TrackKind, name string, up bool) {
	if !i.tracks.set(kind, name, up) {
		return
	}
	i.applyTracks()
}

// applyTracks turns the trackers' state into fault and priority events.
func (i *Instance) applyTracks() {
	delta, faults := i.tracks.eval(i.cfg.Track)
	for _, src := range sortedKeys(faults) {
		if faults[src] {
			i.handle(Fault{Source: src})
		} else if src != "link "+i.cfg.Interface {
			// The instance's own link is cleared by LinkChanged alone.
			i.handle(FaultCleared{Source: src})
		}
	}
	before := i.m.Priority()
	i.handle(PriorityChanged{Priority: i.heldPriority(EffectivePriority(i.cfg.Priority, delta))})
	i.priorityChanged(before) // notify_events.go
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// deliver hands a received packet to the loop; called by the receive goroutine. A full
// mailbox drops it (see inbox).
func (i *Instance) deliver(p Packet, at time.Time) {
	pp := packetPool.Get().(*Packet)
	*pp = p
	if !i.box.put(input{at: at, pkt: pp}) {
		packetPool.Put(pp)
		i.queueFull(p)
	}
}

// packetPool holds the mailbox's packets, so that delivering one allocates nothing.
var packetPool = sync.Pool{New: func() any { return new(Packet) }}

func (i *Instance) loop() {
	defer close(i.done)
	if i.rt != nil {
		i.threadLoop() // sched_loop.go
		return
	}
	for range i.box.ready {
		if !i.drain() {
			return
		}
	}
}

// drain handles every queued input; false when one was the stop.
func (i *Instance) drain() bool {
	for {
		in, ok := i.box.next()
		if !ok {
			return true
		}
		if in.stop {
			i.box.done()
			return false
		}
		i.evTime = in.at
		switch {
		case in.fn != nil:
			in.fn()
		case in.pkt != nil:
			i.fireDeferredDown(in.pkt.ReceivedAt)
			p := *in.pkt
			*in.pkt = Packet{}
			packetPool.Put(in.pkt)
			i.receive(p)
		case in.timerGen != 0:
			if in.timerGen == i.timerGen && !i.deferDown(in) {
				i.timer = nil
				i.handle(in.ev)
			}
		default:
			i.handle(in.ev)
		}
		i.box.done()
	}
}

func (i *Instance) receive(p Packet) {
	r := i.filter.Check(p)
	i.mu.Lock()
	for _, n := range r.Notes {
		i.counters.Drops[n]++
	}
	if r.Drop != DropNone {
		i.counters.Drops[r.Drop]++
	} else {
		i.counters.AdvertsReceived++
		if r.Advert.Priority == PriorityStop {
			i.counters.PriorityZeroRcvd++
		}
	}
	i.mu.Unlock()
	if r.Drop != DropNone {
		i.logs.Log(slog.LevelDebug, "dropped "+r.Drop.String(), "advert dropped", "src", p.Src, "reason", r.Drop)
		return
	}
	for _, n := range r.Notes {
		i.logs.Log(slog.LevelDebug, "noted "+n.String(), "advert accepted with mismatch", "src", p.Src, "note", n)
	}
	i.handle(AdvertReceived{Advert: r.Advert, Src: p.Src.Unmap()})
}

// handle feeds one event to the machine and carries out its actions.
func (i *Instance) handle(ev Event) {
	from := i.m.State()
	i.current = kindOf(ev)
	acts := i.m.Handle(i.evTime, ev)
	for _, a := range acts {
		i.do(a)
	}
	// Logged after the actions, so that writing the line does not delay the new master's
	// first advert.
	for _, a := range acts {
		if t, ok := a.(Transition); ok {
			i.log.Info("Entering "+t.To.String()+" STATE", "from", t.From, "reason", t.Reason)
		}
	}
	if i.group != nil {
		// Tell the group about state changes and about faults of our own appearing or
		// clearing, which can happen without a state change.
		to, own := i.m.State(), i.ownFault()
		if to != from || own != i.reportedOwn {
			i.reportedOwn = own
			i.group.memberChanged(i, from, to, own)
		}
	}
	i.mu.Lock()
	i.status.State = i.m.State()
	i.status.Priority = i.m.Priority()
	if ma := i.m.MasterAddr(); ma != i.status.MasterAddr {
		i.status.MasterAddr, i.status.MasterSince = ma, i.evTime
	}
	i.status.MasterInterval = i.m.MasterInterval()
	i.status.Faults = i.m.Faults()
	i.mu.Unlock()
}

func (i *Instance) do(a Action) {
	switch a := a.(type) {
	case Transition:
		i.mu.Lock()
		i.status.Since = i.evTime
		i.status.LastReason = a.Reason
		i.counters.Transitions[a.To]++
		i.mu.Unlock()
		i.change = StateChange{Name: i.cfg.Name, From: a.From, To: a.To, Reason: a.Reason, At: i.evTime}
		if i.current == eventDownTimer {
			i.change.Armed, i.change.LastAdvert = i.downFor, i.downFrom
		}
		if a.To == StateMaster {
			i.change.Preempted = i.m.Preempted()
		}
	case SendAdvert:
		i.send(a.Priority)
	case ClaimVIPs:
		if p := i.m.Preempted(); p.IsValid() && i.deps.BeforePreemptClaim != nil {
			name, hook := i.cfg.Name, i.deps.BeforePreemptClaim
			i.kernel.do(func() { hook(name, p) })
		}
		i.kernel.do(i.owner.claim)
		// A takeover, the first advert already sent: the VIP add is now this thread's next
		// goroutine, and would wait for another thread to wake and steal it while this one
		// arms timers and logs, which takes longer than the add itself. Yield to it; this
		// goroutine resumes on the other thread (or after it) and queues the first GARP burst
		// behind the add. The worker, not this goroutine, waits on netlink.
		runtime.Gosched()
	case ReleaseVIPs:
		i.kernel.do(i.owner.release)
	case StartAnnouncing:
		i.startAnnouncing()
	case StopAnnouncing:
		i.stopAnnouncing()
	case Reannounce:
		i.logs.Log(slog.LevelInfo, "", "lower-priority advert from another master: re-announcing the VIPs")
		i.lowerPrioAnnounce() // instance_timing.go
		i.rxLowerPri()        // notify_events.go
	case ReplyLimited:
		i.replyLimited()
	case VerifyVIPs:
		if i.evTime.Sub(i.verifiedAt) >= verifyEvery {
			i.verifiedAt = i.evTime
			i.kernel.do(i.owner.verify)
		}
	case ArmAdvertTimer:
		i.arm(a.D, AdvertTimerFired{})
	case ArmMasterDownTimer:
		i.downFor, i.downFrom = a.D, time.Time{}
		if i.current == eventAdvert {
			i.downFrom = i.evTime
		}
		i.arm(a.D, MasterDownTimerFired{})
	case StopTimers:
		i.disarm()
	case Notify:
		// Through the kernel worker, so that the change is reported and notify_master runs
		// after the VIPs are up (and the others after they are gone). The machine emits
		// every Notify right after its Transition.
		c := i.change
		c.To, c.Priority = i.notifiedState(a.State), a.Priority // notify_events.go: DELETED
		i.kernel.do(func() {
			report(i.deps.OnStateChange, c)
			i.notif.notify(c.To, a.Priority, func() {
				i.mu.Lock()
				i.counters.ScriptErrors++
				i.mu.Unlock()
			})
		})
	case WantMaster:
		if i.group != nil {
			i.group.memberWants(i, a.Want)
		}
	}
}

// ownFault reports whether the instance has a fault of its own (not one its sync group
// imposed).
func (i *Instance) ownFault() bool {
	for _, f := range i.m.Faults() {
		if i.group == nil || f != i.group.faultSource() {
			return true
		}
	}
	return false
}

// arm starts the protocol timer d after the current event: a timer reset by an advert runs
// from the moment the advert was received, not from when the loop got to it.
func (i *Instance) arm(d time.Duration, ev Event) {
	i.disarm()
	i.timerGen++
	gen := i.timerGen
	deadline := i.evTime.Add(d)
	if i.rt != nil {
		i.armAt, i.armEv, i.armGen = deadline, ev, gen
		i.timer = i.rt.at(deadline, i.fireArmed)
		return
	}
	fire := func() { i.box.put(input{at: deadline, ev: ev, timerGen: gen}) }
	i.timer = i.deps.Clock.AfterFunc(deadline.Sub(i.deps.Clock.Now()), fire)
}

// fireArmedTimer queues the timer event armed on the advert thread; it runs on that thread.
func (i *Instance) fireArmedTimer() {
	i.box.put(input{at: i.armAt, ev: i.armEv, timerGen: i.armGen})
}

func (i *Instance) disarm() {
	if i.timer != nil {
		i.timer.Stop()
		i.timer = nil
	}
	i.timerGen++ // a timer that already fired is now stale
}

// send sends one advert with priority to the group or to every unicast peer.
func (i *Instance) send(priority uint8) {
	a := &i.advert
	*a = Advertisement{Version: i.cfg.Version, Type: TypeAdvertisement, VRID: i.cfg.VRID,
		Priority: priority, AuthType: i.cfg.AuthType, AuthData: i.filter.AuthData, Interval: i.cfg.Interval,
		Addrs: a.Addrs[:0]}
	for _, v := range i.cfg.VIPs {
		a.Addrs = append(a.Addrs, v.Prefix.Addr())
	}
	dsts := i.cfg.UnicastPeers
	if len(dsts) == 0 {
		i.sendDsts[0] = i.cfg.group()
		dsts = i.sendDsts[:]
	}
	tx := i.tx.Load().t
	src := tx.LocalAddr()
	for _, dst := range dsts {
		msg, err := a.AppendMarshal(i.sendBuf[:0], src, dst, i.filter.Codec)
		if err == nil {
			i.sendBuf = msg
			err = tx.Send(dst, msg)
		}
		i.mu.Lock()
		if err != nil {
			i.counters.SendErrors++
		} else {
			i.counters.AdvertsSent++
			if priority == PriorityStop {
				i.counters.PriorityZeroSent++
			}
		}
		i.mu.Unlock()
		if err != nil {
			i.log.Warn("advert send failed", "dst", dst, "err", err)
		}
	}
}

// Status returns a snapshot of the instance.
func (i *Instance) Status() Status {
	i.mu.Lock()
	defer i.mu.Unlock()
	s := i.status
	s.Faults = append([]string(nil), s.Faults...)
	return s
}

// Counters returns a copy of the instance's counters.
func (i *Instance) Counters() Counters {
	i.mu.Lock()
	defer i.mu.Unlock()
	c := i.counters
	c.NotifyDropped = i.notif.Dropped()
	c.Drops = maps.Clone(c.Drops)
	c.Transitions = maps.Clone(c.Transitions)
	return c
}

// Name returns the instance name.
func (i *Instance) Name() string { return i.name }

// shutdown stops the instance as keepalived does on SIGTERM: a MASTER sends priority 0 and
// releases its VIPs, notify_stop runs. It waits for the loop and the kernel worker (so the
// VIPs are gone and the STOP is reported), and, when wait is set, for the notify scripts
// too; otherwise it returns the notify worker, which ends once its scripts have run.
func (i *Instance) shutdown(wait bool) (notifying *worker) {
	i.stopOnce.Do(func() {
		i.stopWatching()
		i.box.put(input{at: i.deps.Clock.Now(), ev: Shutdown{}})
		i.box.put(input{stop: true})
		<-i.done
		i.stopAnnouncing()
		i.kernel.stop()
		i.notif.jobs.close()
		if wait {
			i.notif.jobs.wait()
		} else {
			notifying = i.notif.jobs
		}
	})
	return notifying
}

// idle reports whether nothing is queued or running (for tests).
func (i *Instance) idle() bool {
	return i.box.idle() && i.kernel.idle() && i.notif.jobs.idle()
}

// eventKind is what an instance's actions need to know of the event that caused them,
// kept instead of the Event so that handle's event does not escape to the heap.
type eventKind uint8

const (
	eventOther eventKind = iota
	eventAdvert
	eventDownTimer
)

func kindOf(ev Event) eventKind {
	switch ev.(type) {
	case AdvertReceived:
		return eventAdvert
	case MasterDownTimerFired:
		return eventDownTimer
	}
	return eventOther
}

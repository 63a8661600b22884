package director

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// ipvsSide owns the lvs.Reconciler. All its work runs on one queue, in order: the table
// at start and on reload, the health events turned into weights, the sync-daemon role
// switches. Nothing that queues work here waits for IPVS.
type ipvsSide struct {
	log       *slog.Logger
	host      ipvsHost
	retryWait time.Duration    // before a failed reconcile is tried again
	onReport  func(lvs.Report) // Options.OnIPVSReport; may be nil
	setSysctl func(name, value string) error

	q       *queue
	backend lvs.Backend
	rec     *lvs.Reconciler

	// Owned by the queue's goroutine.
	plans    map[string]HealthPlan // by health-check name
	quorum   map[string]bool       // health-check name → quorum held (absent: not yet known)
	syncd    *lvs.SyncDaemon
	syncInst string
	retry    *time.Timer
	sloppy   map[string]bool // sloppy_tcp / sloppy_sctp as last set

	// handover_forward.go: the forwarding plan by instance, the forwarding in force, and
	// the hold on sloppy_tcp while a window is open.
	forwards    map[string]midStream
	handovers   map[string]*handover
	marker      MidStreamMarker
	getSysctl   func(name string) (string, error)
	sloppyHolds int
	sloppySet   bool

	gate syncGate // syncgate.go

	mu    sync.Mutex // guards what Status reads
	dests map[destRef]destState
	role  lvs.SyncRole // running sync daemon's role; 0 none
}

// ipvsHost is what the IPVS side asks of the rest of the director (the Director).
type ipvsHost interface {
	instanceState(name string) vrrp.State
	// holdPreempt holds (or lets go) the instance's preemption, for the sync gate.
	holdPreempt(instance string, hold bool)
	// quorumChanged tells the BGP announcement and the instances tracking the virtual
	// server (track_virtual_server) whether it has its quorum.
	quorumChanged(virtualServer string, up bool)
	globalConfig() *config.Global // the config in force's global block
	writeLVS(line string)         // to global.lvs_notify_fifo (lvsfifo.go)
}

type destRef struct {
	vs string // health-check name
	rs netip.AddrPort
}

// destState is what the director last asked of IPVS for one real server.
type destState struct {
	inTable bool
	weight  int
}

// openIPVS checks for IPVS and opens the backend.
func (d *Director) openIPVS() (*ipvsSide, error) {
	open := d.opts.OpenIPVS
	if open == nil {
		open = func() (lvs.Backend, error) {
			if err := lvs.Available(); err != nil {
				return nil, err
			}
			return lvs.NewKernel()
		}
	}
	b, err := open()
	if err != nil {
		return nil, err
	}
	s := &ipvsSide{
		log: d.log, host: d, retryWait: d.opts.IPVSRetry, onReport: d.opts.OnIPVSReport,
		setSysctl: d.opts.setSysctl(),
		q:         newQueue(), backend: b, rec: lvs.NewReconciler(b, lvs.Options{}),
		plans: map[string]HealthPlan{}, quorum: map[string]bool{}, dests: map[destRef]destState{},
		sloppy: map[string]bool{}, handovers: map[string]*handover{},
		marker: d.opts.MidStream, getSysctl: d.opts.GetIPVSSysctl,
	}
	if s.marker == nil {
		s.marker = kernelMarker{}
	}
	if s.getSysctl == nil {
		s.getSysctl = lvs.Sysctl
	}
	s.gate.log, s.gate.host = d.log, d
	return s, nil
}

func (d *Director) instanceState(name string) vrrp.State { return d.inst.state(name) }

func (d *Director) holdPreempt(instance string, hold bool) {
	if i := d.router.Instance(instance); i != nil {
		i.HoldPreempt(hold)
	}
}

func (d *Director) quorumChanged(virtualServer string, up bool) {
	d.bgpQuorum(virtualServer, up) // bgp.go: a lost quorum withdraws the prefixes at once
	d.feed(trackRef{vrrp.TrackVirtualServer, virtualServer}, up)
}

func (d *Director) globalConfig() *config.Global { return d.global.Load() }

func (d *Director) writeLVS(line string) { d.fifos.writeLVS(line) }

// start programs p's table, timeouts and sync daemon (backup until its instance is MASTER).
// Like reload, the work runs on a thread at nice 19 (lowprio.go), off the advert path's
// threads; the queue's other jobs (health weights, the sync daemon's role) keep the usual
// priority, so that a loaded CPU does not delay them.
func (s *ipvsSide) start(p plan) {
	s.q.do(func() { LowPriority(func() { s.apply(p, true) }) })
}

// reload hands over a new plan; the table changes by a minimal diff. Health events that
// the reload raises are queued after it, so they find the new table.
func (s *ipvsSide) reload(p plan) {
	s.q.do(func() { LowPriority(func() { s.apply(p, false) }) })
}

func (s *ipvsSide) apply(p plan, first bool) {
	ctx := context.Background()
	log := s.log
	plans := map[string]HealthPlan{}
	for _, h := range p.health {
		plans[h.VS.Name] = h
	}
	for name := range s.quorum {
		if _, ok := plans[name]; !ok {
			delete(s.quorum, name)
		}
	}
	s.plans = plans
	s.mu.Lock()
	for ref := range s.dests {
		if _, ok := plans[ref.vs]; !ok {
			delete(s.dests, ref)
		}
	}
	s.mu.Unlock()
	if p.timeouts != nil {
		if rep, err := s.rec.SetTimeouts(ctx, *p.timeouts); err != nil {
			log.Error("IPVS: cannot set lvs_timeouts", "err", err)
		} else {
			s.count(rep)
		}
	}
	if err := s.rec.SetDesired(p.table); err != nil {
		// translate validated the table the same way; this would be a bug.
		log.Error("IPVS: table refused", "err", err)
		return
	}
	s.reconcile()
	s.setSysctls(p)
	if first {
		s.clearHandovers(p.forwards) // left by a crash during a window
	}
	for inst, h := range s.handovers {
		if spec, ok := p.forwards[inst]; !ok || !spec.equal(h.spec) {
			s.endHandover(inst)
		}
	}
	s.forwards = p.forwards
	switch {
	case p.syncd == nil && s.syncd != nil:
		s.syncd = nil
		s.stopSync(ctx)
	case p.syncd != nil:
		changed := s.syncd == nil || s.syncd.Interface != p.syncd.Interface || s.syncd.SyncID != p.syncd.SyncID || s.syncInst != p.syncInst
		sd := *p.syncd
		s.syncd, s.syncInst = &sd, p.syncInst
		if first || changed {
			role := lvs.SyncBackup
			if s.host.instanceState(p.syncInst) == vrrp.StateMaster {
				role = lvs.SyncMaster
			}
			s.setSync(role)
		}
	}
}

// reconcile applies the desired table; on failure it tries again after IPVSRetry.
func (s *ipvsSide) reconcile() {
	if s.retry != nil {
		s.retry.Stop()
		s.retry = nil
	}
	rep, err := s.rec.Reconcile(context.Background())
	s.count(rep)
	if len(rep.Applied) > 0 {
		s.log.Info("IPVS table updated", "operations", len(rep.Applied))
	}
	if err != nil {
		s.log.Error("IPVS: reconcile failed; will retry", "err", err, "retry_in", s.retryWait)
		s.retry = time.AfterFunc(s.retryWait, func() { s.q.do(s.reconcile) })
	}
}

func (s *ipvsSide) count(rep lvs.Report) {
	if s.onReport != nil && len(rep.Applied)+len(rep.Failed) > 0 {
		s.onReport(rep)
	}
}

// setSync runs the sync daemon in role, as keepalived does on a transition of its instance.
func (s *ipvsSide) setSync(role lvs.SyncRole) {
	if s.syncd == nil {
		return
	}
	sd := *s.syncd
	sd.Role = role
	rep, err := s.rec.SetSyncDaemon(context.Background(), sd)
	s.count(rep)
	s.gate.syncStarted(role, err == nil)
	if err != nil {
		s.log.Error("IPVS: cannot start the sync daemon", "role", role, "interface", sd.Interface, "err", err)
		return
	}
	s.mu.Lock()
	changed := s.role != role
	s.role = role
	s.mu.Unlock()
	if changed {
		s.log.Info("IPVS sync daemon started", "role", role, "interface", sd.Interface, "syncid", sd.SyncID)
	}
}

func (s *ipvsSide) stopSync(ctx context.Context) {
	rep, err := s.rec.StopSyncDaemons(ctx)
	s.count(rep)
	if err != nil {
		s.log.Error("IPVS: cannot stop the sync daemon", "err", err)
	}
	s.mu.Lock()
	s.role = 0
	s.mu.Unlock()
}

// instanceState switches the sync daemon's role when its instance changes state.
func (s *ipvsSide) instanceState(name string, st vrrp.State) {
	s.gate.instanceState(name, st, time.Now())
	s.q.do(func() {
		if s.syncd == nil || name != s.syncInst {
			return
		}
		switch st {
		case vrrp.StateMaster:
			s.setSync(lvs.SyncMaster)
		case vrrp.StateBackup, vrrp.StateFault:
			s.setSync(lvs.SyncBackup)
		}
	})
}

// event applies one health event to the table: a failed real server is withdrawn, or
// weighted 0 with inhibit_on_failure; a recovered one gets its weight back; a dynamic weight
// replaces the configured one; a lost quorum swaps the sorry server in.
func (s *ipvsSide) event(ev healthcheck.Event) {
	hp, ok := s.plans[ev.VirtualServer]
	if !ok {
		return // raised by a virtual server a reload has removed
	}
	ctx := context.Background()
	switch ev.Type {
	case healthcheck.RealServerUp, healthcheck.WeightChanged:
		w := lvs.ClampWeight(int64(ev.Weight))
		s.each(hp, func(k lvs.ServiceKey) (lvs.Report, error) {
			if cw, ok := hp.Weights[ev.RealServer]; ok && cw == w {
				return s.rec.Restore(ctx, k, ev.RealServer)
			}
			return s.rec.SetWeight(ctx, k, ev.RealServer, w)
		})
		s.setDest(ev.VirtualServer, ev.RealServer, destState{inTable: true, weight: w})
		// keepalived tells changes only, and with rs_init_notifies a server starting up alive
		if ev.Type == healthcheck.RealServerUp && (!ev.Initial || s.host.globalConfig().RSInitNotifies) {
			s.host.writeLVS(fifoRSLine(hp, ev.RealServer, true))
		}
	case healthcheck.RealServerDown:
		if !ev.Initial {
			s.host.writeLVS(fifoRSLine(hp, ev.RealServer, false))
		}
		if ev.Inhibit {
			s.each(hp, func(k lvs.ServiceKey) (lvs.Report, error) { return s.rec.SetWeight(ctx, k, ev.RealServer, 0) })
			s.setDest(ev.VirtualServer, ev.RealServer, destState{inTable: true})
		} else {
			s.each(hp, func(k lvs.ServiceKey) (lvs.Report, error) { return s.rec.Withdraw(ctx, k, ev.RealServer) })
			s.setDest(ev.VirtualServer, ev.RealServer, destState{})
		}
	case healthcheck.QuorumLost, healthcheck.QuorumRegained:
		up := ev.Type == healthcheck.QuorumRegained
		s.quorum[ev.VirtualServer] = up
		if !ev.Initial {
			s.host.writeLVS(fifoVSLine(hp, up))
		}
		if ev.SorryServer {
			s.each(hp, func(k lvs.ServiceKey) (lvs.Report, error) { return s.rec.SetQuorum(ctx, k, up) })
		}
		s.feedQuorum(hp.Track)
	}
}

// feedQuorum tells the instances tracking virtual server name (track_virtual_server) whether
// it has its quorum: every virtual server of that name (TCP and UDP may share it) must.
func (s *ipvsSide) feedQuorum(name string) {
	up := true
	for vs, hp := range s.plans {
		if hp.Track != name {
			continue
		}
		q, known := s.quorum[vs]
		if !known {
			return
		}
		up = up && q
	}
	s.host.quorumChanged(name, up)
}

func (s *ipvsSide) each(hp HealthPlan, f func(lvs.ServiceKey) (lvs.Report, error)) {
	for _, k := range hp.Services {
		rep, err := f(k)
		s.count(rep)
		if err != nil {
			if errors.Is(err, lvs.ErrUnknownService) || errors.Is(err, lvs.ErrUnknownDestination) {
				s.log.Debug("IPVS: health event for a server no longer configured", "service", k, "err", err)
				continue
			}
			s.log.Error("IPVS: weight change failed; will reconcile", "service", k, "err", err)
			if s.retry == nil {
				s.retry = time.AfterFunc(s.retryWait, func() { s.q.do(s.reconcile) })
			}
		}
	}
}

func (s *ipvsSide) setDest(vs string, rs netip.AddrPort, st destState) {
	s.mu.Lock()
	s.dests[destRef{vs, rs}] = st
	s.mu.Unlock()
}

// stop removes the owned services and the sync daemon, unless keep; then it ends the queue.
func (s *ipvsSide) stop(keep bool) {
	s.q.wait(func() {
		if s.retry != nil {
			s.retry.Stop()
			s.retry = nil
		}
		s.clearHandovers(nil)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rep, err := s.rec.Stop(ctx, keep)
		s.count(rep)
		switch {
		case err != nil:
			s.log.Error("IPVS: removing the services failed", "err", err)
		case keep:
			s.log.Info("IPVS services kept (--keep-ipvs)")
		case len(rep.Applied) > 0:
			s.log.Info("IPVS services removed", "operations", len(rep.Applied))
		}
		if !keep && s.syncd != nil {
			s.stopSync(ctx)
		}
	})
	s.q.close()
}

// close ends the queue (if stop did not) and releases the backend.
func (s *ipvsSide) close() {
	s.q.close()
	if c, ok := s.backend.(interface{ Close() error }); ok {
		c.Close()
	} else if c, ok := s.backend.(interface{ Close() }); ok {
		c.Close()
	}
}

// snapshot copies what Status shows.
func (s *ipvsSide) snapshot() (map[destRef]destState, lvs.SyncRole) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[destRef]destState, len(s.dests))
	for k, v := range s.dests {
		out[k] = v
	}
	return out, s.role
}

func (r destRef) String() string { return fmt.Sprintf("%s %s", r.vs, r.rs) }

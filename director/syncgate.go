package director

import (
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// syncGate keeps the VIP and the IPVS connection table in step (global lvs_sync_preempt_delay).
//
// A director that starts (after a crash, a reboot, an upgrade) has an empty connection table.
// If it preempted at once, the connections the current master carries would reach it with no
// entry, and IPVS would pass their mid-stream packets to the local stack, which answers them
// with resets. So the instance that drives the sync daemon starts with its preemption held
// (vrrp.PreemptHold): it runs as the sync backup, and only once the delay has passed since
// the backup daemon started does it let the instance preempt.
//
// Why a delay is enough: the kernel's sync master sends a connection only when one of its
// packets arrives (ip_vs_in), by default every 50th packet (sync_threshold 3, sync_period 50),
// so a slow stream could go unsent for minutes. halvs sets sync_period 0 and
// sync_refresh_period 1 s: every connection is sent when it is established and then on its
// first packet at least a second after it was last sent. The master's thread sends a partly
// filled buffer within 2 s (IPVS_SYNC_FLUSH_TIME) of its first entry, checking every second.
// So after refresh (1 s) + flush (2 s) + check (1 s) as the backup, a director holds every
// connection that carried a packet in that time; the 5 s default adds a second of slack.
// Connections idle for longer are learnt only on their next packet after the refresh period
// (lvs_sloppy_tcp with sh or mh covers them; see docs/operations.md).
//
// A graceful stop (priority 0) waits the same way: a master stopped less than the delay
// after it took the VIP (when its peer became the sync backup) keeps it until the delay has
// passed, so that the peer has heard of the connections first.
type syncGate struct {
	log  *slog.Logger
	host ipvsHost

	mu          sync.Mutex
	inst        string        // the held instance
	delay       time.Duration // 0: no gate
	held        bool
	timer       *time.Timer
	masterSince time.Time // when inst last became MASTER
	started     string    // how the sync daemon first started: "backup", or why there is no wait
	backupAt    time.Time // when the backup daemon started
}

// syncSysctls are the sync settings the gate relies on (see syncGate).
var syncSysctls = [][2]string{{"sync_threshold", "3 0"}, {"sync_refresh_period", "1"}}

// hold holds inst's preemption until the backup sync daemon has run for delay. Called once
// the instances run; the sync daemon may have started before or may start after.
func (g *syncGate) hold(inst string, delay time.Duration) {
	if inst == "" || delay <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inst, g.delay, g.held = inst, delay, true
	g.host.holdPreempt(inst, true)
	g.log.Info("IPVS sync: preemption held until the connection table has caught up", "instance", inst, "delay", delay)
	g.armLocked()
}

// syncStarted is told that the sync daemon runs (ok) in role, or could not start: the delay
// runs from the backup daemon's first start; without a daemon there is nothing to wait for.
func (g *syncGate) syncStarted(role lvs.SyncRole, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started != "" {
		return
	}
	switch {
	case !ok:
		g.started = "the sync daemon did not start"
	case role == lvs.SyncBackup:
		g.started, g.backupAt = "backup", time.Now()
	default:
		g.started = "already MASTER"
	}
	g.armLocked()
}

// armLocked starts the release timer once both the hold and the daemon's start are known.
func (g *syncGate) armLocked() {
	if !g.held || g.started == "" || g.timer != nil {
		return
	}
	if g.started != "backup" {
		g.releaseLocked(g.started)
		return
	}
	g.timer = time.AfterFunc(max(g.backupAt.Add(g.delay).Sub(time.Now()), 0), func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.releaseLocked("lvs_sync_preempt_delay passed")
	})
}

func (g *syncGate) releaseLocked(why string) {
	if !g.held {
		return
	}
	g.held = false
	g.host.holdPreempt(g.inst, false)
	n, err := lvs.ConnCount()
	entries := strconv.Itoa(n)
	if err != nil {
		entries = "unknown"
	}
	g.log.Info("IPVS sync: preemption released", "instance", g.inst, "reason", why, "connection_entries", entries)
}

// instanceState records when the gated instance became MASTER.
func (g *syncGate) instanceState(name string, st vrrp.State, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if name == g.inst && st == vrrp.StateMaster {
		g.masterSince = at
	}
}

// handoverWait is how long a graceful stop at now waits before the priority-0 advert: the
// rest of the delay since the gated instance became MASTER, if it is MASTER.
func (g *syncGate) handoverWait(now time.Time, master bool) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.delay <= 0 || !master || g.masterSince.IsZero() {
		return 0
	}
	return max(g.masterSince.Add(g.delay).Sub(now), 0)
}

// beforeShutdown waits handoverWait, logged; stop ends the timer.
func (g *syncGate) beforeShutdown() {
	g.mu.Lock()
	inst := g.inst
	g.mu.Unlock()
	w := g.handoverWait(time.Now(), inst != "" && g.host.instanceState(inst) == vrrp.StateMaster)
	if w <= 0 {
		return
	}
	g.log.Info("IPVS sync: handing over once the peer has heard of the connections", "instance", inst, "wait", w.Round(time.Millisecond))
	time.Sleep(w)
}

func (g *syncGate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.timer != nil {
		g.timer.Stop()
	}
	g.held = false
}

// setSysctls applies global lvs_sloppy_tcp / lvs_sloppy_sctp (set when asked, cleared when a
// reload drops them, otherwise left as the host has them) and, with the sync daemon and the
// gate on, the sync settings the gate relies on.
func (s *ipvsSide) setSysctls(p plan) {
	g := s.host.globalConfig()
	if g == nil {
		return
	}
	set := s.setSysctl
	for name, on := range map[string]bool{"sloppy_tcp": g.LVSSloppyTCP, "sloppy_sctp": g.LVSSloppySCTP} {
		if on == s.sloppy[name] {
			continue
		}
		if err := set(name, map[bool]string{true: "1", false: "0"}[on]); err != nil {
			s.log.Error("IPVS: cannot set "+name, "err", err)
			continue
		}
		s.sloppy[name] = on
		s.log.Info("IPVS: "+name+" set", "on", on)
	}
	if p.syncd != nil && g.LVSSyncPreemptDelay > 0 {
		for _, kv := range syncSysctls {
			if err := set(kv[0], kv[1]); err != nil {
				s.log.Error("IPVS: cannot set "+kv[0]+"; preemption may outrun the connection table", "err", err)
			}
		}
	}
}

func (o Options) setSysctl() func(name, value string) error {
	if o.SetIPVSSysctl != nil {
		return o.SetIPVSSysctl
	}
	return lvs.SetSysctl
}

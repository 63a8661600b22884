package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// PriorityOwner is the priority of the address owner; PriorityStop is sent on leaving.
const (
	PriorityOwner uint8 = 255
	PriorityStop  uint8 = 0
)

// SkewTime is RFC 5798's Skew_Time for priority at the master's advert interval: for
// version 3 ((256 − priority) × interval) / 256, for version 2 (256 − priority) / 256 s.
func SkewTime(version uint8, priority uint8, masterInterval time.Duration) time.Duration {
	if version == 2 {
		masterInterval = time.Second
	}
	return time.Duration(256-int(priority)) * masterInterval / 256
}

// MasterDownInterval is 3 × interval + Skew_Time (RFC 5798 §6.1, RFC 3768 §6.1).
func MasterDownInterval(version uint8, priority uint8, masterInterval time.Duration) time.Duration {
	return 3*masterInterval + SkewTime(version, priority, masterInterval)
}

// EffectivePriority is base plus the tracker weights, clamped to 1..254 as keepalived does;
// the address owner (255) stays 255 whatever its trackers say.
func EffectivePriority(base uint8, delta int) uint8 {
	if base == PriorityOwner {
		return PriorityOwner
	}
	return uint8(min(max(int(base)+delta, 1), 254))
}

// MachineConfig is what the state machine needs to know about its instance.
type MachineConfig struct {
	Version  uint8         // 2 or 3
	Priority uint8         // base priority; 255 makes the instance the address owner
	Interval time.Duration // our advert_int
	// NoPreempt keeps a higher-priority backup from taking over from a live master.
	NoPreempt bool
	// PreemptDelay holds off preemption after startup or after first seeing a
	// lower-priority master (keepalived's preempt_delay).
	PreemptDelay time.Duration
	// InitialMaster is keepalived's `state MASTER`: at startup wait one advert interval
	// (plus the smallest skew) for a master instead of the full Master_Down_Interval.
	InitialMaster bool
	// LocalAddr is our primary address (the advert source); equal priorities are broken by
	// the higher primary address.
	LocalAddr netip.Addr
	// SyncGroup makes the instance ask its sync group (WantMaster) before becoming MASTER.
	SyncGroup bool
	// LowerPrioNoAdvert (lower_prio_no_advert): a MASTER does not answer a lower-priority
	// advert with its own, only re-announces (RFC 5798 ignores such adverts).
	LowerPrioNoAdvert bool
	// HigherPrioSendAdvert (higher_prio_send_advert): a MASTER sends one advert before it
	// steps down for a higher-priority one, so that the new master, seeing it, re-announces
	// the VIPs (its garp_lower_prio_repeat) after a split brain.
	HigherPrioSendAdvert bool
}

// Machine is the VRRP state machine of one instance (RFC 5798 §6.4, RFC 9568, with
// keepalived's choices). It owns no socket and no clock: Handle takes the time and an
// event and returns the actions to carry out, in order. A Machine must not be used
// concurrently.
type Machine struct {
	cfg            MachineConfig
	state          State
	priority       uint8 // effective priority
	masterInterval time.Duration
	masterAddr     netip.Addr
	masterPriority uint8
	preemptAt      time.Time // zero: no preempt delay running
	preemptHeld    bool      // a PreemptHold is in force (see preempt_gate.go)
	faults         []string  // active fault sources, sorted
	wantMaster     bool
	prio0          bool // the down timer was armed by a priority-0 advert
	// lowerSeen is when, as BACKUP about to preempt, the lower-priority master's last advert
	// arrived; preempted is the master the last takeover preempted while it advertised
	// (zero for any other takeover): it is alive, a BACKUP now, with the connections it
	// scheduled (see Preempted).
	lowerSeen time.Time
	preempted netip.Addr
	// When, as MASTER, we last answered a lower-priority advert and a priority-0 one (see
	// replyDue); zero: not since becoming MASTER.
	lowerAnswered, stopAnswered time.Time

	// The action lists of the steady-state cycle, reused while what they hold stays, so that
	// an advert cycle allocates nothing (garbage collection delays the advert path). Never
	// changed once built, and full (len == cap): a caller may keep or append to one.
	tick     []Action // AdvertTimerFired as MASTER
	downArm  []Action // an accepted advert as BACKUP
	downArmD time.Duration
}

// advertTick returns SendAdvert, ArmAdvertTimer, VerifyVIPs for the current priority.
func (m *Machine) advertTick() []Action {
	if m.tick == nil || m.tick[0] != (SendAdvert{m.priority}) || m.tick[1] != (ArmAdvertTimer{m.cfg.Interval}) {
		m.tick = []Action{SendAdvert{m.priority}, ArmAdvertTimer{m.cfg.Interval}, VerifyVIPs{}}
	}
	return m.tick
}

// armDown returns ArmMasterDownTimer{d}.
func (m *Machine) armDown(d time.Duration) []Action {
	if m.downArm == nil || m.downArmD != d {
		m.downArm, m.downArmD = []Action{ArmMasterDownTimer{d}}, d
	}
	return m.downArm
}

// NewMachine returns a machine in INIT; send Startup to start it.
func NewMachine(cfg MachineConfig) *Machine {
	return &Machine{cfg: cfg, priority: cfg.Priority, masterInterval: cfg.Interval}
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Priority returns the effective priority.
func (m *Machine) Priority() uint8 { return m.priority }

// MasterAddr returns the address of the last accepted master, or our own when MASTER.
func (m *Machine) MasterAddr() netip.Addr {
	if m.state == StateMaster {
		return m.cfg.LocalAddr
	}
	return m.masterAddr
}

// MasterInterval returns the master's advert interval in use for the down timer.
func (m *Machine) MasterInterval() time.Duration { return m.masterInterval }

// Faults returns the active fault sources.
func (m *Machine) Faults() []string { return slices.Clone(m.faults) }

// Config returns the configuration the machine runs with.
func (m *Machine) Config() MachineConfig { return m.cfg }

// Reconfigure replaces the configuration in place (a reload that kept the instance): the
// state and timers stay. A new base priority takes effect with the next PriorityChanged.
func (m *Machine) Reconfigure(cfg MachineConfig) {
	if cfg.PreemptDelay == 0 {
		m.preemptAt = time.Time{}
	}
	m.cfg = cfg
}

// Handle applies ev at time now and returns the actions to carry out.
func (m *Machine) Handle(now time.Time, ev Event) []Action {
	if m.state == StateStop {
		return nil
	}
	switch ev := ev.(type) {
	case Startup:
		return m.startup(now)
	case AdvertReceived:
		switch m.state {
		case StateBackup:
			return m.backupAdvert(now, ev)
		case StateMaster:
			return m.masterAdvert(now, ev)
		}
	case MasterDownTimerFired:
		if m.state == StateBackup {
			reason := "master down timer expired"
			if m.prio0 {
				reason = "master sent priority 0"
			}
			m.preempted = netip.Addr{}
			if !m.prio0 && m.masterPriority > 0 && m.masterPriority < m.priority && now.Sub(m.lowerSeen) < m.downInterval() {
				m.preempted = m.masterAddr // its adverts still came: a preemption, not a silence
			}
			return m.takeover(reason)
		}
	case AdvertTimerFired:
		if m.state == StateMaster {
			return m.advertTick()
		}
	case PriorityChanged:
		return m.priorityChanged(ev.Priority)
	case LinkChanged:
		src := "link " + ev.Dev
		if ev.Up {
			return m.clearFault(src)
		}
		return m.addFault(src)
	case Fault:
		return m.addFault(ev.Source)
	case FaultCleared:
		return m.clearFault(ev.Source)
	case ForceBackup:
		if m.state == StateMaster {
			if ev.Priority != 0 && m.cfg.Priority != PriorityOwner {
				m.priority = ev.Priority
			}
			return m.leaveMaster(ev.Reason)
		}
	case GroupMaster:
		if m.state == StateBackup && m.wantMaster {
			return m.becomeMaster("sync group ready")
		}
	case PreemptHold:
		return m.preemptHold(ev.Hold)
	case Shutdown:
		return m.shutdown()
	}
	return nil
}

func (m *Machine) startup(now time.Time) []Action {
	if m.state != StateInit {
		return nil
	}
	if len(m.faults) > 0 {
		return m.enterFault("startup with fault: " + m.faults[0])
	}
	if m.cfg.PreemptDelay > 0 {
		m.preemptAt = now.Add(m.cfg.PreemptDelay)
	}
	if m.priority == PriorityOwner {
		return m.takeover("address owner (priority 255)")
	}
	acts := m.toBackup("startup")
	if m.cfg.InitialMaster && !m.preemptHeld { // held: see preemptHold
		// keepalived: wait one interval to be sure there is no master, not three.
		acts = append(acts, ArmMasterDownTimer{m.cfg.Interval + SkewTime(m.cfg.Version, 255, m.cfg.Interval)})
	} else {
		acts = append(acts, ArmMasterDownTimer{m.downInterval()})
	}
	return acts
}

func (m *Machine) downInterval() time.Duration {
	return MasterDownInterval(m.cfg.Version, m.priority, m.masterInterval)
}

// toBackup changes state to BACKUP and notifies; the caller arms the down timer.
func (m *Machine) toBackup(reason string) []Action {
	from := m.state
	m.state = StateBackup
	m.prio0, m.preempted = false, netip.Addr{}
	return []Action{Transition{from, StateBackup, reason}, Notify{StateBackup, m.priority}}
}

// backupAdvert is RFC 5798 §6.4.2 "If an ADVERTISEMENT is received", with keepalived's
// preempt_delay.
func (m *Machine) backupAdvert(now time.Time, ev AdvertReceived) []Action {
	a := ev.Advert
	if a.Priority == PriorityStop {
		// The master is leaving: take over after Skew_Time unless a better backup does.
		m.masterAddr, m.masterPriority, m.prio0 = ev.Src, 0, true
		return []Action{ArmMasterDownTimer{SkewTime(m.cfg.Version, m.priority, m.masterInterval)}}
	}
	delaying := (m.cfg.PreemptDelay > 0 && (m.preemptAt.IsZero() || now.Before(m.preemptAt))) || m.preemptHeld
	if !m.cfg.NoPreempt && a.Priority < m.priority && !delaying {
		// A lower-priority master and we may preempt: ignore its advert so that the down
		// timer, still running from the last accepted advert, expires.
		m.masterAddr, m.masterPriority, m.lowerSeen = ev.Src, a.Priority, now
		return nil
	}
	if m.cfg.Version == 3 && a.Interval > 0 {
		m.masterInterval = a.Interval
	}
	if m.cfg.PreemptDelay > 0 {
		if a.Priority >= m.priority {
			m.preemptAt = time.Time{}
		} else if m.preemptAt.IsZero() {
			m.preemptAt = now.Add(m.cfg.PreemptDelay)
		}
	}
	m.masterAddr, m.masterPriority, m.prio0 = ev.Src, a.Priority, false
	acts := m.armDown(m.downInterval())
	if m.wantMaster {
		m.wantMaster = false
		acts = append(acts, WantMaster{false})
	}
	return acts
}

// masterAdvert is RFC 5798 §6.4.3 with RFC 9568's answer to a lower-priority advert. The
// answers are rate-limited (see replyDue): each costs an advert and a GARP burst per VIP,
// and a forged flood must not be amplified into a flood of our own.
func (m *Machine) masterAdvert(now time.Time, ev AdvertReceived) []Action {
	a := ev.Advert
	if a.Priority == PriorityStop {
		// Another router that thought it was master is leaving: assert ourselves at once.
		if !m.replyDue(&m.stopAnswered, now) {
			return []Action{ReplyLimited{}}
		}
		return []Action{SendAdvert{m.priority}, ArmAdvertTimer{m.cfg.Interval}}
	}
	cmp := ev.Src.Compare(m.cfg.LocalAddr)
	switch {
	case a.Priority > m.priority || a.Priority == m.priority && cmp > 0:
		if m.cfg.Version == 3 && a.Interval > 0 {
			m.masterInterval = a.Interval
		}
		m.masterAddr, m.masterPriority = ev.Src, a.Priority
		reason := fmt.Sprintf("higher priority %d advert from %v", a.Priority, ev.Src)
		if a.Priority == m.priority {
			reason = fmt.Sprintf("equal priority advert from higher address %v", ev.Src)
		}
		if m.cfg.HigherPrioSendAdvert {
			return append([]Action{SendAdvert{m.priority}}, m.leaveMaster(reason)...)
		}
		return m.leaveMaster(reason)
	case a.Priority < m.priority || cmp < 0:
		// Two masters: the other one claimed our VIPs (a partition healed, or it missed our
		// adverts). Answer now so it steps down without waiting for our timer, and re-announce
		// so that neighbours forget its MAC.
		if !m.replyDue(&m.lowerAnswered, now) {
			return []Action{ReplyLimited{}}
		}
		if m.cfg.LowerPrioNoAdvert {
			return []Action{Reannounce{}}
		}
		return []Action{SendAdvert{m.priority}, ArmAdvertTimer{m.cfg.Interval}, Reannounce{}}
	}
	return nil // our own address at our priority: a looped-back advert
}

// replyDue reports whether an answer may go out at now, given when the last one of its
// kind went (*last), and if so records now. At most one answer per advert interval: the
// first advert of a second master is answered at once, as keepalived does; answering more
// within the interval would only repeat what that answer told, and the advert timer sends
// the next advert anyway. A clock that went back (now before *last) does not silence them.
func (m *Machine) replyDue(last *time.Time, now time.Time) bool {
	if !last.IsZero() && !now.Before(*last) && now.Before(last.Add(m.cfg.Interval)) {
		return false
	}
	*last = now
	return true
}

// takeover becomes MASTER, or asks the sync group first.
func (m *Machine) takeover(reason string) []Action {
	if m.cfg.SyncGroup && m.state != StateMaster {
		// The group answers with GroupMaster when every member is ready. Until then the down
		// timer keeps running and each expiry asks again, as keepalived re-checks
		// vrrp_sync_can_goto_master whenever its down timer expires (vrrp_sync.c): a
		// repeated ask is a fresh check of the group, never a takeover by itself.
		m.wantMaster = true
		return []Action{WantMaster{true}, ArmMasterDownTimer{m.downInterval()}}
	}
	return m.becomeMaster(reason)
}

// Preempted is the master that the last takeover preempted while it was advertising: it
// carries on as a BACKUP. Zero when the last takeover followed a silence, a priority-0
// advert, a startup or a cleared fault.
func (m *Machine) Preempted() netip.Addr { return m.preempted }

// becomeMaster follows keepalived's order: the first advert before the VIPs (so the old
// master drops them first), then the VIPs, then the gratuitous ARP / NA burst.
func (m *Machine) becomeMaster(reason string) []Action {
	from := m.state
	m.state = StateMaster
	m.masterInterval = m.cfg.Interval
	m.masterAddr, m.masterPriority = m.cfg.LocalAddr, m.priority
	m.prio0 = false
	m.lowerAnswered, m.stopAnswered = time.Time{}, time.Time{}
	acts := []Action{
		Transition{from, StateMaster, reason},
		SendAdvert{m.priority},
		ClaimVIPs{},
		StartAnnouncing{},
		ArmAdvertTimer{m.cfg.Interval},
		Notify{StateMaster, m.priority},
	}
	if m.wantMaster {
		m.wantMaster = false
		acts = append(acts, WantMaster{false})
	}
	return acts
}

// leaveMaster goes from MASTER to BACKUP: the VIPs go, the down timer starts.
func (m *Machine) leaveMaster(reason string) []Action {
	acts := []Action{StopAnnouncing{}, ReleaseVIPs{}}
	acts = append(acts, m.toBackup(reason)...)
	return append(acts, ArmMasterDownTimer{m.downInterval()})
}

func (m *Machine) priorityChanged(p uint8) []Action {
	if m.cfg.Priority == PriorityOwner {
		p = PriorityOwner
	}
	if p == m.priority {
		return nil
	}
	m.priority = p
	if m.state == StateMaster {
		// Tell the backups now: one with a higher priority can preempt a whole interval
		// earlier.
		return []Action{SendAdvert{m.priority}, ArmAdvertTimer{m.cfg.Interval}}
	}
	return nil
}

func (m *Machine) addFault(src string) []Action {
	if slices.Contains(m.faults, src) {
		return nil
	}
	m.faults = append(m.faults, src)
	slices.Sort(m.faults)
	if m.state == StateBackup || m.state == StateMaster {
		return m.enterFault(src)
	}
	return nil
}

func (m *Machine) enterFault(reason string) []Action {
	var acts []Action
	if m.state == StateMaster {
		acts = append(acts, SendAdvert{PriorityStop}, StopAnnouncing{}, ReleaseVIPs{})
	}
	from := m.state
	m.state = StateFault
	m.prio0, m.preempted = false, netip.Addr{}
	acts = append(acts, StopTimers{}, Transition{from, StateFault, reason}, Notify{StateFault, m.priority})
	if m.wantMaster {
		m.wantMaster = false
		acts = append(acts, WantMaster{false})
	}
	return acts
}

func (m *Machine) clearFault(src string) []Action {
	i := slices.Index(m.faults, src)
	if i < 0 {
		return nil
	}
	m.faults = slices.Delete(m.faults, i, i+1)
	if m.state != StateFault || len(m.faults) > 0 {
		return nil
	}
	m.masterInterval = m.cfg.Interval
	reason := "fault cleared: " + src
	if m.priority == PriorityOwner {
		return m.takeover(reason)
	}
	acts := m.toBackup(reason)
	return append(acts, ArmMasterDownTimer{m.downInterval()})
}

func (m *Machine) shutdown() []Action {
	var acts []Action
	if m.state == StateMaster {
		acts = append(acts, SendAdvert{PriorityStop}, StopAnnouncing{}, ReleaseVIPs{})
	}
	from := m.state
	m.state = StateStop
	return append(acts, StopTimers{}, Transition{from, StateStop, "shutdown"}, Notify{StateStop, m.priority})
}

package vrrp

// PreemptHold holds preemption (Hold) or lets it go: while held, a BACKUP accepts a live
// lower-priority master's adverts as if it could not preempt (its down timer restarts with
// each), so it stays BACKUP for as long as that master lives. A master that falls silent is
// still taken over when the down timer expires: the hold delays preemption only, never a
// takeover. Released, the next lower-priority advert is ignored and the backup preempts
// when its down timer, running since the last accepted advert, expires.
//
// The director holds the instance that drives the IPVS sync daemon until its connection
// table has caught up with the master's (global lvs_sync_preempt_delay), so that the VIP
// does not move to a director that would answer the master's established connections with
// resets. The machine knows nothing of IPVS: the hold is a condition fed to it, like a
// tracker's state.
type PreemptHold struct{ Hold bool }

func (PreemptHold) isEvent() {}

// HoldPreempt feeds a PreemptHold to the instance. Safe for concurrent use; it never blocks.
func (i *Instance) HoldPreempt(hold bool) {
	i.box.put(input{at: i.deps.Clock.Now(), fn: func() { i.handle(PreemptHold{Hold: hold}) }})
}

// preemptHold applies a PreemptHold. A hold that finds the instance BACKUP with no master
// accepted yet (it has just started: none heard, or only a lower-priority one whose adverts
// it ignored to preempt) also re-arms the down timer at the full Master_Down_Interval: a
// `state MASTER` instance waits only one interval at startup (keepalived's way), no longer
// than the current master takes between two adverts, so a restarted director would claim
// the VIP by timer, as if there were no master: a takeover, which no hold stops. Three
// intervals let the master be heard and, held, accepted; from then on the hold keeps the
// instance BACKUP. (The hold reaches the instance just after its start, and the master's
// first advert may come first.)
func (m *Machine) preemptHold(hold bool) []Action {
	m.preemptHeld = hold
	if hold && m.state == StateBackup && (!m.masterAddr.IsValid() || m.masterPriority < m.priority) {
		return []Action{ArmMasterDownTimer{m.downInterval()}}
	}
	return nil
}

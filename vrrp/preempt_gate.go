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

package vrrp

import (
	"context"
	"errors"
	"time"
)

// Errors of Handover.
var (
	ErrNotMaster = errors.New("vrrp: instance is not MASTER")
	ErrOwner     = errors.New("vrrp: the address owner (priority 255) always takes its addresses back; it cannot hand over")
)

// HoldPriority is the priority a held instance runs with (see Handover): the lowest a backup
// can have, so any peer stays master, while the instance still takes over, as any backup
// would, if no master is heard at all.
const HoldPriority uint8 = 1

// holdState is a Handover's hold; owned by the loop (until is mirrored in Status).
type holdState struct {
	until time.Time // zero: no hold
	timer Timer
}

// Handover makes a MASTER step down gracefully, for a planned failover: it sends an advert
// with priority 0 (so the backups take over after Skew_Time, without waiting out the
// Master_Down_Interval), releases its VIPs and becomes BACKUP, then runs with HoldPriority for
// hold, so that it does not preempt the new master. When the hold ends its own priority comes
// back and it preempts (or not) as configured. A hold never leaves the VIPs unowned: with no
// master heard it takes over again after the Master_Down_Interval. A second Handover replaces
// the hold; a reload that restarts the instance ends it.
//
// Handover returns when the VIPs are gone from the kernel, with the time the priority-0
// advert was sent (the instance's clock) and the end of the hold. It returns ErrNotMaster
// when the instance is not MASTER and ErrOwner for an address owner. Safe for concurrent use.
func (i *Instance) Handover(ctx context.Context, hold time.Duration) (sent, until time.Time, err error) {
	type result struct {
		sent, until time.Time
		err         error
	}
	res := make(chan result, 1)
	i.box.put(input{at: i.deps.Clock.Now(), fn: func() {
		switch {
		case i.m.State() != StateMaster:
			res <- result{err: ErrNotMaster}
			return
		case i.cfg.Priority == PriorityOwner:
			res <- result{err: ErrOwner}
			return
		}
		now := i.deps.Clock.Now()
		i.evTime = now
		i.send(PriorityStop)
		i.setHold(now.Add(hold))
		// HoldPriority before the down timer is armed, so that its Skew_Time is the one
		// that runs; through ForceBackup rather than applyTracks first, which as MASTER
		// would send a priority-1 advert after the priority-0 one (a non-preempting backup
		// would restart its down timer on it).
		i.handle(ForceBackup{Reason: "failover requested: sent priority 0, holding BACKUP for " + hold.String(),
			Priority: i.heldPriority(i.m.Priority())})
		i.applyTracks() // HoldPriority from now on: unchanged, so nothing is sent
		r := result{sent: now, until: now.Add(hold)}
		// Behind the ReleaseVIPs that ForceBackup queued on the kernel worker.
		i.kernel.do(func() { res <- r })
	}})
	select {
	case r := <-res:
		return r.sent, r.until, r.err
	case <-i.done:
		return time.Time{}, time.Time{}, errors.New("vrrp: instance stopped")
	case <-ctx.Done():
		return time.Time{}, time.Time{}, ctx.Err()
	}
}

// setHold starts (or, with a zero until, ends) the hold. Called in the loop.
func (i *Instance) setHold(until time.Time) {
	if i.hold.timer != nil {
		i.hold.timer.Stop()
		i.hold.timer = nil
	}
	i.hold.until = until
	i.mu.Lock()
	i.status.HoldUntil = until
	i.mu.Unlock()
	if until.IsZero() {
		return
	}
	var t Timer
	t = i.deps.Clock.AfterFunc(until.Sub(i.deps.Clock.Now()), func() {
		i.box.put(input{at: until, fn: func() {
			if i.hold.timer != t {
				return // replaced by a later Handover
			}
			i.hold.timer = nil
			i.setHold(time.Time{})
			i.log.Info("failover hold over: priority restored")
			i.applyTracks()
		}})
	})
	i.hold.timer = t
}

// heldPriority is p, or HoldPriority while a hold runs.
func (i *Instance) heldPriority(p uint8) uint8 {
	if !i.hold.until.IsZero() && p != PriorityOwner {
		return HoldPriority
	}
	return p
}

package vrrp

import (
	"log/slog"
	"time"
)

// A backup's Master_Down timer must not overtake the master's adverts. The mailbox keeps it
// behind adverts already read (its ordered lane); adverts still unread in the socket, which
// a starved receive goroutine leaves there for tens of milliseconds, it cannot see. So an
// instance whose Master_Down timer falls due while its Transport reports unread messages
// defers the timer, re-queueing it behind what the receiver reads meanwhile:
//   - an advert the kernel received before the deadline then resets the timer as if it had
//     come in time (the timer's generation is stale by then);
//   - one received after the deadline is late: the timer fires first, at its deadline
//     (fireDeferredDown), then the advert is handled.
//
// The socket is shared by every instance on the interface and may hold other traffic, so
// deferral is bounded: at most maxDownDeferrals waits, starting at downDeferStep and
// doubling, and never past the deadline plus Skew_Time. A flooded socket delays a takeover
// by at most that.
const (
	downDeferStep    = time.Millisecond
	maxDownDeferrals = 8
)

// downDefer is the deferral of one Master_Down timer (one arming, gen).
type downDefer struct {
	gen      uint64    // the timer arming deferred; stale once the timer is re-armed
	deadline time.Time // when it fell due
	n        int       // deferrals so far
}

// deferDown re-queues the timer input in when it is a Master_Down timer that unread
// messages wait behind and the bound allows; it reports whether it did (then the timer is
// not handled now).
func (i *Instance) deferDown(in input) bool {
	if _, ok := in.ev.(MasterDownTimerFired); !ok {
		return false
	}
	d := &i.deferred
	if d.gen != in.timerGen {
		*d = downDefer{gen: in.timerGen, deadline: in.at}
	}
	now := i.deps.Clock.Now()
	limit := d.deadline.Add(SkewTime(i.cfg.Version, i.m.Priority(), i.m.MasterInterval()))
	if !transportPending(i.tx.Load().t) {
		return false
	}
	if d.n >= maxDownDeferrals || !now.Before(limit) {
		i.logs.Log(slog.LevelWarn, "down deferral bound", "unread messages still wait in the socket at the deferral bound: acting on the master down timer",
			"deferrals", d.n, "late", now.Sub(d.deadline))
		return false
	}
	wait := min(downDeferStep<<d.n, limit.Sub(now))
	d.n++
	fire := func() { i.box.put(in) } // same generation and deadline: stale if an advert re-arms
	if i.rt != nil {
		i.timer = i.rt.at(now.Add(wait), fire)
	} else {
		i.timer = i.deps.Clock.AfterFunc(wait, fire)
	}
	return true
}

// fireDeferredDown runs before a received message is handled: a deferred Master_Down timer
// that fell due before the kernel received the message (stamp, its Packet.ReceivedAt) fires
// first, at its deadline, as it would have without the deferral. A message without a stamp
// (a wall-clock step, or one older than maxStampAge: the oldest of a long backlog) cannot be
// judged late and counts as in time, so that a backlog never causes a false takeover.
func (i *Instance) fireDeferredDown(stamp time.Time) {
	d := i.deferred
	if d.n == 0 || d.gen != i.timerGen || stamp.IsZero() || !stamp.After(d.deadline) {
		return
	}
	at := i.evTime
	i.disarm() // the pending re-queue is now stale
	i.evTime = d.deadline
	i.handle(MasterDownTimerFired{})
	i.evTime = at
}

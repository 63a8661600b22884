package vrrp

import (
	"log/slog"
	"time"
)

// The advert path on threads of its own (Deps.AdvertSched, keepalived's vrrp_rt_priority
// and vrrp_priority): each instance's loop, with its protocol timer, and each Transport's
// receive goroutine.

// newInstanceThread returns the advertThread an instance's loop waits on, or nil when the
// Router has no AdvertSched (or, logged, when its descriptors cannot be had: the loop then
// runs as without one).
func newInstanceThread(d *Deps, log *slog.Logger, box *inbox) *advertThread {
	if d.AdvertSched.IsZero() {
		return nil
	}
	t, err := newAdvertThread(d.AdvertSched)
	if err != nil {
		log.Error("advert thread unavailable: the instance runs with default scheduling", "err", err)
		return nil
	}
	box.wake = t.signal
	return t
}

// threadLoop is the loop on its own thread: it locks the goroutine to it for good, sets its
// scheduling, and waits in poll(2) (advertThread.wait) instead of on a channel.
func (i *Instance) threadLoop() {
	defer i.rt.close()
	if err := i.rt.sched.lockThread(); err != nil {
		// NewRouter checked it; a limit lowered since is reported, and the loop runs on.
		i.log.Error("cannot set the advert thread's scheduling", "sched", i.rt.sched, "err", err)
	}
	for {
		if !i.drain() {
			return
		}
		i.rt.wait()
	}
}

// readWaiter is a Transport that can wait in the kernel for a message (RawTransport), so
// that a receive goroutine on a thread of its own is woken by the kernel itself.
type readWaiter interface {
	waitReadable(timeout time.Duration)
}

// lockReceive puts the calling receive goroutine on a thread of its own with s, and
// returns how it then waits for each message (nil: in Receive, as usual).
func lockReceive(s AdvertSched, t Transport, log *slog.Logger) func() {
	if s.IsZero() {
		return nil
	}
	if err := s.lockThread(); err != nil {
		log.Error("cannot set the receive thread's scheduling", "sched", s, "err", err)
	}
	if w, ok := t.(readWaiter); ok {
		// A bounded wait: closing the socket does not end a poll(2) already waiting on it.
		return func() { w.waitReadable(100 * time.Millisecond) }
	}
	return nil
}

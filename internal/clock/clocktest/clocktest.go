// Package clocktest is the fake clock.Clock: its time moves only when the test advances it,
// so timers fire because the test let time pass and never because the machine was slow.
package clocktest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/clock"
)

// Clock is a clock.Clock whose time moves only in Advance, AdvanceSettled and Until. It is
// safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	seq     int
	pending []*entry
}

var _ clock.Clock = (*Clock)(nil)

// New returns a Clock that reads t until advanced.
func New(t time.Time) *Clock { return &Clock{now: t} }

// entry is one armed timer: an AfterFunc's call or a NewTimer's channel.
type entry struct {
	at  time.Time
	seq int // arming order, to fire timers due at the same time in that order
	f   func()
	ch  chan time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// arm schedules e d from now; called with c.mu held.
func (c *Clock) arm(e *entry, d time.Duration) {
	c.seq++
	e.at, e.seq = c.now.Add(max(d, 0)), c.seq
	c.pending = append(c.pending, e)
}

// disarm unschedules e and reports whether it was pending; called with c.mu held.
func (c *Clock) disarm(e *entry) bool {
	n := len(c.pending)
	c.pending = slices.DeleteFunc(c.pending, func(x *entry) bool { return x == e })
	return len(c.pending) < n
}

// AfterFunc implements clock.Clock: f runs once the test has advanced the clock by d.
func (c *Clock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &entry{f: f}
	c.arm(e, d)
	return funcTimer{c, e}
}

type funcTimer struct {
	c *Clock
	e *entry
}

func (t funcTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.c.disarm(t.e)
}

// NewTimer implements clock.Clock.
func (c *Clock) NewTimer(d time.Duration) clock.ChanTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &entry{ch: make(chan time.Time, 1)}
	c.arm(e, d)
	return chanTimer{c, e}
}

type chanTimer struct {
	c *Clock
	e *entry
}

func (t chanTimer) C() <-chan time.Time { return t.e.ch }

func (t chanTimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.stop()
	t.c.arm(t.e, d)
}

func (t chanTimer) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.stop()
}

func (t chanTimer) stop() {
	t.c.disarm(t.e)
	select {
	case <-t.e.ch:
	default:
	}
}

// next removes and returns the earliest timer due by end (the first armed among equals),
// with the clock moved to its time; nil when none is due. Called with c.mu held.
func (c *Clock) next(end time.Time) *entry {
	i := -1
	for j, e := range c.pending {
		if !e.at.After(end) && (i < 0 || e.at.Before(c.pending[i].at) ||
			e.at.Equal(c.pending[i].at) && e.seq < c.pending[i].seq) {
			i = j
		}
	}
	if i < 0 {
		return nil
	}
	e := c.pending[i]
	c.pending = slices.Delete(c.pending, i, i+1)
	c.now = e.at
	return e
}

// fire sends a channel timer's value; an AfterFunc call is the caller's to make.
func (e *entry) fire() {
	select {
	case e.ch <- e.at:
	default:
	}
}

// Advance moves the time d forward, firing the timers due on the way in time order. What
// they start runs asynchronously (an AfterFunc call in its own goroutine): a timer armed in
// response is fired by a later Advance.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.now.Add(d)
	for e := c.next(end); e != nil; e = c.next(end) {
		if e.f != nil {
			go e.f()
		} else {
			e.fire()
		}
	}
	c.now = end
}

// AdvanceSettled moves the time d forward one timer at a time, calling settle (which waits
// until the system under test is idle) before each: an AfterFunc call runs in the caller's
// goroutine, so timers armed in response fire at their own time within this same call.
func (c *Clock) AdvanceSettled(d time.Duration, settle func()) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		settle()
		c.mu.Lock()
		e := c.next(end)
		if e == nil {
			c.now = end
			c.mu.Unlock()
			settle()
			return
		}
		c.mu.Unlock()
		if e.f != nil {
			e.f()
		} else {
			e.fire()
		}
	}
}

// Until lets time pass, step at a time, until cond holds; it fails t if cond does not hold
// within 5 s of real time (each step waits a millisecond of real time for the work it woke).
func (c *Clock) Until(t testing.TB, step time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (clock time %v)", what, c.Now().Format(time.StampMilli))
		}
		c.Advance(step)
		time.Sleep(time.Millisecond) // let what the step woke run
	}
}

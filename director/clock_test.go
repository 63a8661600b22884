package director

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/vrrp"
)

// testClock is both a vrrp.Clock and a healthcheck.Clock whose time moves only when the test
// advances it: adverts, master-down timers, vrrp_script runs and health checks happen when
// the test lets time pass, and never because the machine was slow.
type testClock struct {
	mu      sync.Mutex
	now     time.Time
	seq     int
	pending []*clockEntry
}

var (
	_ vrrp.Clock        = (*testClock)(nil)
	_ healthcheck.Clock = (*testClock)(nil)
)

func newTestClock() *testClock {
	return &testClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// clockEntry is one armed timer: an AfterFunc's call or a NewTimer's channel.
type clockEntry struct {
	at  time.Time
	seq int // arming order, to fire timers due at the same time in that order
	f   func()
	ch  chan time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// arm schedules e d from now; called with c.mu held.
func (c *testClock) arm(e *clockEntry, d time.Duration) {
	c.seq++
	e.at, e.seq = c.now.Add(max(d, 0)), c.seq
	c.pending = append(c.pending, e)
}

// disarm unschedules e and reports whether it was pending; called with c.mu held.
func (c *testClock) disarm(e *clockEntry) bool {
	n := len(c.pending)
	c.pending = slices.DeleteFunc(c.pending, func(x *clockEntry) bool { return x == e })
	return len(c.pending) < n
}

// AfterFunc implements vrrp.Clock: f runs in its own goroutine once the test has advanced
// the clock by d.
func (c *testClock) AfterFunc(d time.Duration, f func()) vrrp.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &clockEntry{f: f}
	c.arm(e, d)
	return funcTimer{c, e}
}

type funcTimer struct {
	c *testClock
	e *clockEntry
}

func (t funcTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.c.disarm(t.e)
}

// NewTimer implements healthcheck.Clock. Like a time.Timer since Go 1.23, Stop and Reset
// discard a value not yet received.
func (c *testClock) NewTimer(d time.Duration) healthcheck.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &clockEntry{ch: make(chan time.Time, 1)}
	c.arm(e, d)
	return chanTimer{c, e}
}

type chanTimer struct {
	c *testClock
	e *clockEntry
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

// advance moves the time d forward, firing the timers due on the way in time order. What
// they start runs asynchronously: a timer armed in response is fired by a later advance.
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := c.now.Add(d)
	for {
		i := -1
		for j, e := range c.pending {
			if !e.at.After(end) && (i < 0 || e.at.Before(c.pending[i].at) ||
				e.at.Equal(c.pending[i].at) && e.seq < c.pending[i].seq) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		e := c.pending[i]
		c.pending = slices.Delete(c.pending, i, i+1)
		c.now = e.at
		if e.f != nil {
			go e.f()
		} else {
			select {
			case e.ch <- e.at:
			default:
			}
		}
	}
	c.now = end
}

// clockStep is how far until advances the clock between two looks at the condition: a tenth
// of the 100 ms advert interval the tests use.
const clockStep = 10 * time.Millisecond

// until lets time pass on c, clockStep at a time, until cond holds; it fails t if cond
// does not hold within 5 s of real time (so within about 50 s of protocol time: each step
// waits a millisecond for the work it woke). For a condition that needs no time to pass,
// use eventually.
func (c *testClock) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (protocol time %v)", what, c.Now().Format(time.StampMilli))
		}
		c.advance(clockStep)
		time.Sleep(time.Millisecond) // let what the step woke run
	}
}

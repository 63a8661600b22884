// Package clock is halvs' one source of time for the parts that tests drive by hand (the VRRP
// runner, the health-check scheduler, the director): an interface over time.Now,
// time.AfterFunc and time.NewTimer, with System as the real one and clocktest.Clock as the
// fake.
package clock

import "time"

// Clock is a source of time and timers.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d, like time.AfterFunc.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTimer returns a timer that sends the time on its channel once after d, like
	// time.NewTimer.
	NewTimer(d time.Duration) ChanTimer
}

// Timer is a timer made by AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not started; it reports whether it did.
	Stop() bool
}

// ChanTimer is the part of *time.Timer a loop that selects on it uses. As with a time.Timer
// since Go 1.23, Stop and Reset discard a value not yet received.
type ChanTimer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// System is the time package's clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// NewTimer is time.NewTimer.
func (System) NewTimer(d time.Duration) ChanTimer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time   { return s.t.C }
func (s systemTimer) Reset(d time.Duration) { s.t.Reset(d) }
func (s systemTimer) Stop()                 { s.t.Stop() }

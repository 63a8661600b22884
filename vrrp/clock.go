package vrrp

import (
	"log/slog"
	"sync"
	"time"

	"github.com/halvs/halvs/internal/clock"
)

// Clock is the runner's source of time and timers; tests substitute clocktest.Clock.
type Clock = clock.Clock

// Timer is a timer made by Clock.AfterFunc.
type Timer = clock.Timer

// RealClock is the system's clock. Its timers fire on time to the kernel's precision: on
// Linux they come from one timerfd that the runtime's poller watches (see timerQueue),
// because the time package's timers can fire up to a millisecond late, which shows in every
// takeover. Where no timerfd can be had they are the time package's, as NewTimer's are
// (the runner does not use it).
type RealClock struct{ clock.System }

// AfterFunc calls f in its own goroutine after d, like time.AfterFunc. The Timer it
// returns also has Reset(d time.Duration) bool with time.Timer's meaning.
func (RealClock) AfterFunc(d time.Duration, f func()) Timer {
	if after := systemAfterFunc(); after != nil {
		return after(d, f)
	}
	return time.AfterFunc(d, f)
}

// systemAfterFunc is the process's precise AfterFunc, opened on first use; nil when the
// system has none.
var systemAfterFunc = sync.OnceValue(func() func(time.Duration, func()) Timer {
	after, err := openSystemTimers()
	if err != nil {
		slog.Warn("precise timers unavailable; VRRP timers may fire up to 1 ms late", "err", err)
		return nil
	}
	return after
})

// mailbox is an unbounded FIFO, so that no sender (a timer, a receive goroutine, another
// instance's loop) ever blocks on a busy receiver.
type mailbox[T any] struct {
	mu    sync.Mutex
	items []T
	ready chan struct{} // holds a token while items is not empty
	busy  bool          // the consumer is handling an item (for idle detection in tests)
}

func newMailbox[T any]() *mailbox[T] {
	return &mailbox[T]{ready: make(chan struct{}, 1)}
}

func (m *mailbox[T]) put(x T) {
	m.mu.Lock()
	m.items = append(m.items, x)
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default:
	}
}

// take removes all queued items and marks the consumer busy until done is called.
func (m *mailbox[T]) take() []T {
	m.mu.Lock()
	defer m.mu.Unlock()
	items := m.items
	m.items = nil
	m.busy = len(items) > 0
	return items
}

func (m *mailbox[T]) done() {
	m.mu.Lock()
	m.busy = false
	m.mu.Unlock()
}

func (m *mailbox[T]) idle() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items) == 0 && !m.busy
}

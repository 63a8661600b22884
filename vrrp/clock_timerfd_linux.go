package vrrp

import (
	"container/heap"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// timerQueue runs timers from one timerfd (CLOCK_MONOTONIC), armed at the earliest
// deadline. The Go runtime's own timers wake through epoll_pwait, whose timeout is whole
// milliseconds, so they fire up to a millisecond late, and the new master's first advert
// with them after the RFC's bound. A timerfd is a file the runtime's poller watches
// like a socket: its expiry wakes epoll at once, to the kernel's timer precision.
//
// One fd and one goroutine serve every timer; arming costs at most one timerfd_settime.
// Callbacks run in their own goroutine, as with time.AfterFunc.
type timerQueue struct {
	file *os.File // the timerfd, non-blocking, so reads park in the runtime's poller
	fd   int      // file's descriptor (file.Fd would make it blocking)

	mu      sync.Mutex
	closed  bool // fd may be another file's once closed
	pending timerHeap
	armedAt int64 // CLOCK_MONOTONIC ns the fd was last set to; 0: unknown or expired
	err     error // the last timerfd_settime error (never expected; kept for tests)
	done    chan struct{}
	launch  func(f func()) // starts a due callback; nil: go f() (tests run them in order)
}

// newTimerQueue opens a timerfd and starts the goroutine that reads it. Close releases
// both. launch starts each due callback; nil means go f().
func newTimerQueue(launch func(f func())) (*timerQueue, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("vrrp: timerfd_create: %w", err)
	}
	q := &timerQueue{file: os.NewFile(uintptr(fd), "timerfd"), fd: fd, done: make(chan struct{}), launch: launch}
	go q.run()
	return q, nil
}

// Close stops the queue: pending timers never fire. It waits for the reader to finish.
func (q *timerQueue) Close() error {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	err := q.file.Close()
	<-q.done
	return err
}

// AfterFunc calls f in its own goroutine once d has passed (at once if d <= 0).
func (q *timerQueue) AfterFunc(d time.Duration, f func()) *preciseTimer {
	t := &preciseTimer{q: q, f: f, index: -1}
	t.Reset(d)
	return t
}

func (q *timerQueue) run() {
	defer close(q.done)
	var buf [8]byte // the expiration count; its value does not matter
	for {
		_, err := q.file.Read(buf[:])
		if errors.Is(err, os.ErrClosed) {
			return
		}
		if err != nil {
			// Not expected from a timerfd; do not spin on it, and let the due timers run.
			time.Sleep(time.Millisecond)
		}
		q.fireDue()
	}
}

// fireDue starts the callbacks of every timer that is due and arms the fd for the next.
func (q *timerQueue) fireDue() {
	q.mu.Lock()
	q.armedAt = 0 // a one-shot timerfd that expired is disarmed
	now := monotonicNow()
	var due []func()
	for len(q.pending) > 0 && q.pending[0].at <= now {
		t := heap.Pop(&q.pending).(*preciseTimer)
		due = append(due, t.f)
	}
	q.armLocked()
	q.mu.Unlock()
	for _, f := range due {
		if q.launch != nil {
			q.launch(f)
		} else {
			go f()
		}
	}
}

// armLocked sets the fd to the earliest deadline. With nothing pending the fd is left as
// it is: an expiry with nothing due costs one wake-up, less than a syscall on every Stop.
func (q *timerQueue) armLocked() {
	if q.closed || len(q.pending) == 0 || q.pending[0].at == q.armedAt {
		return
	}
	at := q.pending[0].at
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(at)}
	if err := unix.TimerfdSettime(q.fd, unix.TFD_TIMER_ABSTIME, &spec, nil); err != nil {
		q.err = fmt.Errorf("vrrp: timerfd_settime: %w", err)
		q.armedAt = 0
		return
	}
	q.armedAt = at
}

// preciseTimer is a Timer of a timerQueue; like a timer of time.AfterFunc, it can be
// stopped and reset.
type preciseTimer struct {
	q     *timerQueue
	f     func()
	at    int64 // deadline, CLOCK_MONOTONIC ns
	index int   // in q.pending; -1 when not pending
}

// Stop prevents the call if it has not started; it reports whether it did.
func (t *preciseTimer) Stop() bool {
	t.q.mu.Lock()
	defer t.q.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.q.pending, t.index)
	t.q.armLocked()
	return true
}

// Reset makes the timer call f once d has passed from now, as time.Timer.Reset does for
// AfterFunc: it reports whether the timer was pending (and so now runs f once, later or
// earlier); if it was not, f will run again.
func (t *preciseTimer) Reset(d time.Duration) bool {
	at := monotonicNow() + int64(max(d, 0))
	t.q.mu.Lock()
	defer t.q.mu.Unlock()
	was := t.index >= 0
	t.at = at
	if was {
		heap.Fix(&t.q.pending, t.index)
	} else {
		heap.Push(&t.q.pending, t)
	}
	t.q.armLocked()
	return was
}

// monotonicNow reads CLOCK_MONOTONIC, the timerfd's clock, in nanoseconds (never 0: an
// absolute timerfd setting of 0 would disarm it).
func monotonicNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("vrrp: clock_gettime(CLOCK_MONOTONIC): " + err.Error()) // cannot fail on Linux
	}
	return max(ts.Nano(), 1)
}

// timerHeap orders pending timers by deadline.
type timerHeap []*preciseTimer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*preciseTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// openSystemTimers opens the process's timerQueue, which is never closed.
func openSystemTimers() (func(time.Duration, func()) Timer, error) {
	q, err := newTimerQueue(nil)
	if err != nil {
		return nil, err
	}
	return func(d time.Duration, f func()) Timer { return q.AfterFunc(d, f) }, nil
}

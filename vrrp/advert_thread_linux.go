package vrrp

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// advertThread is what an instance's loop waits on when its thread has a scheduling of its
// own (AdvertSched): a timerfd for the protocol timer and an eventfd that the inbox signals,
// both watched with poll(2) on the loop's own locked thread. The kernel then wakes that
// thread directly when the advert timer expires or an input arrives; through Go's timers
// and channels the wake-up would first wait for another, normally scheduled, thread to
// run the scheduler, which is what a loaded machine delays.
//
// Only the loop uses arm, stop and wait; signal may be called from any goroutine.
type advertThread struct {
	sched AdvertSched
	tfd   int // the protocol timer, CLOCK_MONOTONIC
	efd   int // the inbox's wake-up

	fire func() // the armed timer's callback; nil when none is armed

	// closed keeps signal from writing to a descriptor number that close gave back (and
	// another file may have by now): inputs still arrive after the loop ended.
	mu     sync.RWMutex
	closed bool
}

func newAdvertThread(s AdvertSched) (*advertThread, error) {
	tfd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("vrrp: timerfd_create: %w", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(tfd)
		return nil, fmt.Errorf("vrrp: eventfd: %w", err)
	}
	return &advertThread{sched: s, tfd: tfd, efd: efd}, nil
}

// signal wakes the loop's wait.
func (t *advertThread) signal() {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return
	}
	one := [8]byte{1}         // little-endian 1
	unix.Write(t.efd, one[:]) // EAGAIN means the counter is already set: awake anyway
}

// at arms the protocol timer to call fire on the loop's thread at deadline (a wall-clock
// time with its monotonic reading), replacing any armed one.
func (t *advertThread) at(deadline time.Time, fire func()) Timer {
	d := max(time.Until(deadline), 1) // 0 would disarm
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(t.tfd, 0, &spec, nil); err != nil {
		panic("vrrp: timerfd_settime: " + err.Error()) // only with a bad fd or value
	}
	t.fire = fire
	return threadTimer{t}
}

// threadTimer is the Timer of advertThread.at.
type threadTimer struct{ t *advertThread }

func (tt threadTimer) Stop() bool {
	t := tt.t
	if t.fire == nil {
		return false
	}
	t.fire = nil
	unix.TimerfdSettime(t.tfd, 0, &unix.ItimerSpec{}, nil)
	return true
}

// wait blocks in poll(2) until the timer expires (its callback then runs) or the inbox
// signals.
func (t *advertThread) wait() {
	fds := []unix.PollFd{{Fd: int32(t.tfd), Events: unix.POLLIN}, {Fd: int32(t.efd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			time.Sleep(time.Millisecond) // not expected; do not spin
			return
		}
	}
	var buf [8]byte
	if fds[1].Revents&unix.POLLIN != 0 {
		unix.Read(t.efd, buf[:])
	}
	if fds[0].Revents&unix.POLLIN != 0 {
		unix.Read(t.tfd, buf[:])
		if f := t.fire; f != nil {
			t.fire = nil
			f()
		}
	}
}

func (t *advertThread) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	unix.Close(t.tfd)
	unix.Close(t.efd)
}

// waitReadable waits in poll(2), on the calling thread, until a message is queued on the
// socket or timeout passes (see lockReceive).
func (t *RawTransport) waitReadable(timeout time.Duration) {
	t.rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		unix.Poll(fds, int(timeout/time.Millisecond))
	})
}

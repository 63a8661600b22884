package vrrp

import (
	"errors"
	"fmt"
	"runtime"
)

// AdvertSched is how the advert path's threads are scheduled: keepalived's vrrp_rt_priority
// (SCHED_RR at RTPriority) and vrrp_priority (the nice value Nice, when SetNice). The zero
// value leaves them as the runtime made them.
//
// Go moves goroutines between OS threads, and scheduling belongs to a thread, so each
// goroutine of the advert path (an instance's loop, which also waits for its own protocol
// timer, and each Transport's receive goroutine) locks itself to a thread and sets that
// thread's scheduling by its thread id. It never unlocks: when the goroutine ends, the
// runtime ends the thread with it, so no other goroutine ever runs at that priority.
type AdvertSched struct {
	RTPriority int // 1..99: SCHED_RR at this priority; 0: the normal policy
	Nice       int // -20..19, with SetNice
	SetNice    bool
}

// IsZero reports whether s changes nothing.
func (s AdvertSched) IsZero() bool { return s.RTPriority == 0 && !s.SetNice }

func (s AdvertSched) String() string {
	switch {
	case s.RTPriority > 0:
		return fmt.Sprintf("SCHED_RR priority %d (vrrp_rt_priority)", s.RTPriority)
	case s.SetNice:
		return fmt.Sprintf("nice %d (vrrp_priority)", s.Nice)
	}
	return "default scheduling"
}

// ErrSchedNotPermitted wraps a refused scheduling change: real-time scheduling needs
// CAP_SYS_NICE or an RLIMIT_RTPRIO of at least the priority, and so does a negative nice
// value below RLIMIT_NICE.
var ErrSchedNotPermitted = errors.New("vrrp: scheduling change not permitted")

// Validate checks the ranges.
func (s AdvertSched) Validate() error {
	if s.RTPriority < 0 || s.RTPriority > 99 {
		return fmt.Errorf("vrrp: vrrp_rt_priority %d out of 1-99", s.RTPriority)
	}
	if s.SetNice && (s.Nice < -20 || s.Nice > 19) {
		return fmt.Errorf("vrrp: vrrp_priority %d out of -20..19", s.Nice)
	}
	return nil
}

// Check tries s on a thread of its own, which then ends, and reports whether it is
// permitted; nil for the zero value. NewRouter refuses to start without it.
func (s AdvertSched) Check() error {
	if s.IsZero() {
		return nil
	}
	if err := s.Validate(); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		errc <- s.apply()
	}()
	return <-errc
}

// lockThread locks the calling goroutine to its thread for the rest of its life and
// applies s to that thread. The goroutine must not unlock it.
func (s AdvertSched) lockThread() error {
	if s.IsZero() {
		return nil
	}
	runtime.LockOSThread()
	return s.apply()
}

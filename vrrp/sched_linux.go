package vrrp

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// apply sets s on the calling thread, by its thread id: sched_setattr for SCHED_RR (the
// nice value rides along), setpriority for a nice value alone.
func (s AdvertSched) apply() error {
	tid := unix.Gettid()
	var err error
	what := s.String()
	if s.RTPriority > 0 {
		attr := unix.SchedAttr{Size: uint32(unsafe.Sizeof(unix.SchedAttr{})), Policy: unix.SCHED_RR, Priority: uint32(s.RTPriority)}
		if s.SetNice {
			attr.Nice = int32(s.Nice)
		}
		err = unix.SchedSetAttr(tid, &attr, 0)
	} else {
		err = unix.Setpriority(unix.PRIO_PROCESS, tid, s.Nice)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%w: %s for thread %d: %v (needs CAP_SYS_NICE, or RLIMIT_RTPRIO / RLIMIT_NICE that allow it)", ErrSchedNotPermitted, what, tid, err)
	}
	return fmt.Errorf("vrrp: %s for thread %d: %w", what, tid, err)
}

// threadSched reads the calling thread's policy, real-time priority and nice value.
func threadSched() (policy, rtPriority, nice int, err error) {
	tid := unix.Gettid()
	attr, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	return int(attr.Policy), int(attr.Priority), int(attr.Nice), nil
}

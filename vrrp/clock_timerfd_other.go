//go:build !linux

package vrrp

import (
	"errors"
	"time"
)

// openSystemTimers has no timerfd to offer here: RealClock uses the time package.
func openSystemTimers() (func(time.Duration, func()) Timer, error) {
	return nil, errors.New("timerfd is Linux-only")
}

package healthcheck

import "github.com/halvs/halvs/internal/clock"

// Clock is the scheduler's source of time; tests drive it by hand (clocktest.Clock).
type Clock = clock.Clock

// Timer is the part of *time.Timer the scheduler uses.
type Timer = clock.ChanTimer

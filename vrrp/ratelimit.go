package vrrp

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Log limits on the advert path: a flood of forged or broken adverts must not become a flood
// of log lines. Each kind of line passes logBurst times per logWindow; the rest are counted
// and summed up in one line when the window ends.
const (
	logWindow = 10 * time.Second
	logBurst  = 5
)

// logLimiter writes log lines of one instance, at most burst lines of each kind per window.
// The first suppressed line of a window arms a timer for the window's end, which writes one
// "suppressed similar lines" line with their count; the next line of that kind starts a new
// window. Lines at a level the logger does not write are neither written nor counted. Safe for
// concurrent use (the receive goroutine logs full-queue drops, the loop the rest).
type logLimiter struct {
	log        *slog.Logger
	clock      Clock
	window     time.Duration
	burst      int
	suppressed func(n int) // told of each suppressed line; may be nil

	mu    sync.Mutex
	kinds map[string]*logKind
}

// logKind is one kind of line in its current window.
type logKind struct {
	start      time.Time
	passed     int
	suppressed int
	level      slog.Level
	msg        string
	summary    Timer // armed by the first suppressed line; nil before
}

func newLogLimiter(log *slog.Logger, clock Clock, window time.Duration, burst int, suppressed func(int)) *logLimiter {
	return &logLimiter{log: log, clock: clock, window: window, burst: burst, suppressed: suppressed, kinds: map[string]*logKind{}}
}

// Log writes msg with args at level, unless burst lines of kind (msg when empty) went out in
// the current window.
func (l *logLimiter) Log(level slog.Level, kind, msg string, args ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	if kind == "" {
		kind = msg
	}
	now := l.clock.Now()
	l.mu.Lock()
	k := l.kinds[kind]
	if k == nil || k.summary == nil && !now.Before(k.start.Add(l.window)) {
		k = &logKind{start: now, level: level, msg: msg}
		l.kinds[kind] = k
	}
	if k.passed < l.burst {
		k.passed++
		l.mu.Unlock()
		l.log.Log(context.Background(), level, msg, args...)
		return
	}
	k.suppressed++
	if k.summary == nil {
		k.summary = l.clock.AfterFunc(k.start.Add(l.window).Sub(now), func() { l.summarise(kind, k) })
	}
	l.mu.Unlock()
	if l.suppressed != nil {
		l.suppressed(1)
	}
}

// summarise ends k's window: one line says how many lines of its kind were not written.
func (l *logLimiter) summarise(kind string, k *logKind) {
	l.mu.Lock()
	if l.kinds[kind] == k {
		delete(l.kinds, kind)
	}
	n := k.suppressed
	l.mu.Unlock()
	l.log.Log(context.Background(), k.level, "suppressed similar lines", "count", n, "like", k.msg, "window", l.window)
}

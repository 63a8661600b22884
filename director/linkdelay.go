package director

import (
	"sync"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/vrrp"
)

// linkDelays is interface_up_down_delays: a LinkWatcher that holds each link change for the
// interface's delay and drops a change undone within it (keepalived's
// update_interface_flags). Delays apply only once the link has been seen up; the first
// report of a watch is passed at once. The delays can change at any time (a reload).
type linkDelays struct {
	vrrp.LinkWatcher
	afterFunc func(time.Duration, func()) (stop func() bool)

	mu     sync.Mutex
	delays map[string]config.InterfaceDelay
}

func newLinkDelays(w vrrp.LinkWatcher) *linkDelays {
	return &linkDelays{LinkWatcher: w, delays: map[string]config.InterfaceDelay{},
		afterFunc: func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }}
}

// set replaces the delays.
func (l *linkDelays) set(list []config.InterfaceDelay) {
	m := map[string]config.InterfaceDelay{}
	for _, e := range list {
		m[e.Name] = e
	}
	l.mu.Lock()
	l.delays = m
	l.mu.Unlock()
}

func (l *linkDelays) delay(dev string, up bool) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if up {
		return l.delays[dev].Up
	}
	return l.delays[dev].Down
}

// Watch implements vrrp.LinkWatcher.
func (l *linkDelays) Watch(dev string, fn func(up bool), stop <-chan struct{}) error {
	w := &delayedLink{l: l, dev: dev, fn: fn, stop: stop}
	return l.LinkWatcher.Watch(dev, w.change, stop)
}

// delayedLink is one watch's state: what it reported and the change it holds.
type delayedLink struct {
	l    *linkDelays
	dev  string
	fn   func(up bool)
	stop <-chan struct{} // closed: the watch ended, and no held change fires

	mu             sync.Mutex // held while fn runs, so reports keep their order
	up, known      bool       // last reported
	seenUp         bool
	pending        func() bool // stops the held change; nil: none
	pendingUp      bool
	pendingVersion int
}

func (w *delayedLink) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

func (w *delayedLink) change(up bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped() {
		return
	}
	if !w.known {
		w.report(up)
		return
	}
	if w.pending != nil {
		if up == w.pendingUp {
			return // the change already held
		}
		w.cancel() // undone within the delay: never seen
	}
	if up == w.up {
		return
	}
	if d := w.l.delay(w.dev, up); w.seenUp && d > 0 {
		w.pendingVersion++
		v := w.pendingVersion
		w.pendingUp = up
		w.pending = w.l.afterFunc(d, func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.stopped() || w.pending == nil || w.pendingVersion != v {
				return
			}
			w.pending = nil
			w.report(up)
		})
		return
	}
	w.report(up)
}

func (w *delayedLink) cancel() {
	if w.pending != nil {
		w.pending()
		w.pending = nil
	}
}

func (w *delayedLink) report(up bool) {
	w.up, w.known = up, true
	w.seenUp = w.seenUp || up
	w.fn(up)
}

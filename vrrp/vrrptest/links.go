package vrrptest

import (
	"sync"

	"github.com/halvs/halvs/vrrp/kernel"
)

// Links is a LinkWatcher whose links the test sets; every link is up until Set says
// otherwise. A watch ends when its stop channel closes, as the netlink watcher's does. The
// zero Links is ready to use.
type Links struct {
	mu       sync.Mutex
	down     map[string]bool
	watchers []watch
}

type watch struct {
	dev  string
	fn   func(bool)
	stop <-chan struct{}
}

var _ kernel.LinkWatcher = (*Links)(nil)

// Watch calls fn with dev's state now and on every Set of dev until stop closes.
func (l *Links) Watch(dev string, fn func(up bool), stop <-chan struct{}) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watchers = append(l.watchers, watch{dev, fn, stop})
	fn(!l.down[dev])
	return nil
}

// Set makes dev up or down and tells its live watchers.
func (l *Links) Set(dev string, up bool) {
	l.mu.Lock()
	if l.down == nil {
		l.down = map[string]bool{}
	}
	l.down[dev] = !up
	live := l.live(dev)
	l.mu.Unlock()
	for _, w := range live {
		w.fn(up)
	}
}

// Watching returns how many live watches dev has.
func (l *Links) Watching(dev string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.live(dev))
}

// live returns dev's watches whose stop channel is still open. l.mu is held.
func (l *Links) live(dev string) []watch {
	var out []watch
	for _, w := range l.watchers {
		select {
		case <-w.stop:
			continue
		default:
		}
		if w.dev == dev {
			out = append(out, w)
		}
	}
	return out
}

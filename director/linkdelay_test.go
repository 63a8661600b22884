package director

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/config"
)

// scriptedLinks is a LinkWatcher whose changes the test sends.
type scriptedLinks struct {
	mu  sync.Mutex
	fns map[string]func(bool)
}

func (s *scriptedLinks) Watch(dev string, fn func(bool), _ <-chan struct{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fns[dev] = fn
	return nil
}

func (s *scriptedLinks) send(dev string, up bool) {
	s.mu.Lock()
	fn := s.fns[dev]
	s.mu.Unlock()
	fn(up)
}

// heldTimers holds afterFunc calls until fire.
type heldTimers struct {
	mu  sync.Mutex
	fns []func()
	ds  []time.Duration
}

func (h *heldTimers) afterFunc(d time.Duration, f func()) func() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := len(h.fns)
	h.fns, h.ds = append(h.fns, f), append(h.ds, d)
	return func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		live := h.fns[i] != nil
		h.fns[i] = nil
		return live
	}
}

func (h *heldTimers) fire() {
	h.mu.Lock()
	fns := h.fns
	h.fns = make([]func(), len(fns))
	h.mu.Unlock()
	for _, f := range fns {
		if f != nil {
			f()
		}
	}
}

func TestLinkDelays(t *testing.T) {
	src := &scriptedLinks{fns: map[string]func(bool){}}
	timers := &heldTimers{}
	l := newLinkDelays(src)
	l.afterFunc = timers.afterFunc
	l.set([]config.InterfaceDelay{{Name: "eth0", Down: 2 * time.Second, Up: 0}})
	var got []bool
	stop := make(chan struct{})
	if err := l.Watch("eth0", func(up bool) { got = append(got, up) }, stop); err != nil {
		t.Fatal(err)
	}
	take := func() []bool { g := got; got = nil; return g }

	src.send("eth0", false) // the first report passes at once
	src.send("eth0", true)  // not yet seen up: no delay
	if diff := cmp.Diff([]bool{false, true}, take()); diff != "" {
		t.Errorf("first reports (-want +got):\n%s", diff)
	}
	src.send("eth0", false) // held for the down delay...
	src.send("eth0", false)
	if g := take(); len(g) != 0 {
		t.Errorf("a down within its delay was reported: %v", g)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second}, timers.ds); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	src.send("eth0", true) // ...and undone within it: never seen
	timers.fire()
	if g := take(); len(g) != 0 {
		t.Errorf("a flap within the down delay was reported: %v", g)
	}
	src.send("eth0", false)
	timers.fire()
	if diff := cmp.Diff([]bool{false}, take()); diff != "" {
		t.Errorf("after the down delay (-want +got):\n%s", diff)
	}
	src.send("eth0", true) // up delay 0: at once
	if diff := cmp.Diff([]bool{true}, take()); diff != "" {
		t.Errorf("up without delay (-want +got):\n%s", diff)
	}

	// A reload's new delays apply to the next change; a stopped watch reports nothing more.
	l.set([]config.InterfaceDelay{{Name: "eth0", Down: time.Second, Up: time.Second}})
	src.send("eth0", false)
	close(stop)
	timers.fire()
	if g := take(); len(g) != 0 {
		t.Errorf("a stopped watch reported %v", g)
	}
	if timers.ds[len(timers.ds)-1] != time.Second {
		t.Errorf("the new down delay was %v, want 1s", timers.ds[len(timers.ds)-1])
	}
}

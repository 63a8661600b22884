package track

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeProcs is a process table.
type fakeProcs struct {
	mu    sync.Mutex
	procs map[int]Proc
}

func (f *fakeProcs) set(pid int, p Proc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.procs == nil {
		f.procs = map[int]Proc{}
	}
	f.procs[pid] = p
}

func (f *fakeProcs) remove(pid int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.procs, pid)
}

func (f *fakeProcs) Scan() (map[int]Proc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int]Proc{}
	for k, v := range f.procs {
		out[k] = v
	}
	return out, nil
}

func (f *fakeProcs) Read(pid int) (Proc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.procs[pid]
	if !ok {
		return Proc{}, errors.New("no such process")
	}
	return p, nil
}

// fakeEvents hands out the events (and errors) sent to it.
type fakeEvents struct {
	ch     chan fakeEvent
	closed chan struct{}
	once   sync.Once
}

type fakeEvent struct {
	ev  Event
	err error
}

func newFakeEvents() *fakeEvents {
	return &fakeEvents{ch: make(chan fakeEvent, 16), closed: make(chan struct{})}
}

func (f *fakeEvents) Next() (Event, error) {
	select {
	case e := <-f.ch:
		return e.ev, e.err
	case <-f.closed:
		return Event{}, errors.New("closed")
	}
}

func (f *fakeEvents) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

// fakeTimers holds AfterFunc calls until fire.
type fakeTimers struct {
	mu      sync.Mutex
	pending map[int]fakeTimer
	next    int
}

type fakeTimer struct {
	d time.Duration
	f func()
}

func (ft *fakeTimers) AfterFunc(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if ft.pending == nil {
		ft.pending = map[int]fakeTimer{}
	}
	id := ft.next
	ft.next++
	ft.pending[id] = fakeTimer{d, f}
	return func() bool {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		_, ok := ft.pending[id]
		delete(ft.pending, id)
		return ok
	}
}

// durations lists the pending timers' durations.
func (ft *fakeTimers) durations() []time.Duration {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var out []time.Duration
	for _, t := range ft.pending {
		out = append(out, t.d)
	}
	return out
}

// fire runs every pending timer.
func (ft *fakeTimers) fire() {
	ft.mu.Lock()
	var fs []func()
	for id, t := range ft.pending {
		fs = append(fs, t.f)
		delete(ft.pending, id)
	}
	ft.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// quorumLog records reports.
type quorumLog struct {
	mu  sync.Mutex
	got []string
}

func (q *quorumLog) report(name string, up bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.got = append(q.got, name+map[bool]string{true: " up", false: " down"}[up])
}

func (q *quorumLog) take() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.got
	q.got = nil
	return out
}

// startMonitor starts a monitor on fakes; events are handed to Handle by the test.
func startMonitor(t *testing.T, procs *fakeProcs, specs ...ProcessSpec) (*Monitor, *quorumLog, *fakeTimers) {
	t.Helper()
	log, timers := &quorumLog{}, &fakeTimers{}
	for i := range specs {
		if specs[i].QuorumMax == 0 && specs[i].Quorum != 0 {
			specs[i].QuorumMax = 1 << 30
		}
	}
	m := NewMonitor(MonitorConfig{Specs: specs, Events: newFakeEvents(), Procs: procs, AfterFunc: timers.AfterFunc, Report: log.report})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m, log, timers
}

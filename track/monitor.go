package track

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// EventKind is a process event the monitor acts on.
type EventKind uint8

const (
	EventFork EventKind = iota + 1 // a new process (not a thread): PID, ParentPID
	EventExec                      // PID ran a new program
	EventComm                      // PID changed its name to Comm
	EventExit                      // PID ended
)

// Event is one process event, for processes only (thread events are left out).
type Event struct {
	Kind      EventKind
	PID       int
	ParentPID int    // EventFork
	Comm      string // EventComm
}

// ErrEventsLost is returned by EventSource.Next when the kernel dropped events: the
// monitor reads /proc again.
var ErrEventsLost = errors.New("track: process events lost")

// EventSource delivers process events (the kernel's process events connector, or a fake).
type EventSource interface {
	// Next blocks for the next event. ErrEventsLost means some were dropped; any other
	// error ends the source (Close makes Next return one).
	Next() (Event, error)
	Close() error
}

// Procs reads the process table (/proc, or a fake).
type Procs interface {
	// Scan returns every running process; zombies are left out.
	Scan() (map[int]Proc, error)
	// Read returns one process; an error when it is gone.
	Read(pid int) (Proc, error)
}

// ProcessState is a tracked process's state, for status.
type ProcessState struct {
	Running int  `json:"running"` // matching processes counted now
	Quorum  bool `json:"quorum"`  // the reported state: the quorum is met
}

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	Specs []ProcessSpec
	// Events is the event source; nil makes the monitor scan Procs every ScanInterval.
	Events       EventSource
	Procs        Procs
	ScanInterval time.Duration // without Events; 1 s when zero
	// AfterFunc runs f after d (time.AfterFunc when nil); tests hand in a fake.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	Log       *slog.Logger
	// Report is called with each tracker's first state and every change of it, one call
	// at a time.
	Report func(name string, quorum bool)
}

// Monitor counts, for each ProcessSpec, the processes that match it, and reports when its
// quorum is met or lost: keepalived's track_process. With an event source it reads /proc
// once at start and then follows forks, execs, name changes and exits; otherwise it scans
// /proc periodically.
type Monitor struct {
	cfg  MonitorConfig
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	pids     map[int]map[int]bool // pid → indexes of the specs it matches
	trackers []*quorum
	closed   bool
}

// quorum is one spec's count and reported state, with keepalived's fork and terminate
// delays.
type quorum struct {
	spec      *ProcessSpec
	count     int
	up, known bool
	forkStop  func() bool // a pending fork_delay
	termStop  func() bool // a pending terminate_delay
}

type cause uint8

const (
	causeFork cause = iota + 1
	causeExit
	causeOther
)

// NewMonitor returns a monitor; Start begins the watch.
func NewMonitor(cfg MonitorConfig) *Monitor {
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = time.Second
	}
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	m := &Monitor{cfg: cfg, pids: map[int]map[int]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	for i := range cfg.Specs {
		m.trackers = append(m.trackers, &quorum{spec: &m.cfg.Specs[i]})
	}
	return m
}

// Start reads the process table, reports every tracker's first state and starts following
// changes. The event source, if any, must already be listening, so that nothing started
// between the scan and the first event is missed.
func (m *Monitor) Start() error {
	procs, err := m.cfg.Procs.Scan()
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.rescanLocked(procs, true)
	m.mu.Unlock()
	if m.cfg.Events != nil {
		go m.follow()
	} else {
		go m.poll()
	}
	return nil
}

// Stop ends the watch and cancels pending delays; no report follows it.
func (m *Monitor) Stop() {
	m.mu.Lock()
	m.closed = true
	for _, q := range m.trackers {
		q.cancel()
	}
	m.mu.Unlock()
	close(m.stop)
	if m.cfg.Events != nil {
		m.cfg.Events.Close()
	}
	<-m.done
}

// State returns every tracker's state by name.
func (m *Monitor) State() map[string]ProcessState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]ProcessState{}
	for _, q := range m.trackers {
		out[q.spec.Name] = ProcessState{Running: q.count, Quorum: q.up}
	}
	return out
}

func (m *Monitor) follow() {
	defer close(m.done)
	for {
		ev, err := m.cfg.Events.Next()
		select {
		case <-m.stop:
			return
		default:
		}
		switch {
		case errors.Is(err, ErrEventsLost):
			m.cfg.Log.Warn("process events lost; reading /proc again")
			m.rescan()
		case err != nil:
			m.cfg.Log.Error("process events ended; scanning /proc instead", "err", err, "every", m.cfg.ScanInterval)
			m.pollLoop()
			return
		default:
			m.Handle(ev)
		}
	}
}

func (m *Monitor) poll() {
	defer close(m.done)
	m.pollLoop()
}

func (m *Monitor) pollLoop() {
	t := time.NewTicker(m.cfg.ScanInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.rescan()
		}
	}
}

func (m *Monitor) rescan() {
	procs, err := m.cfg.Procs.Scan()
	if err != nil {
		m.cfg.Log.Error("reading /proc failed", "err", err)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rescanLocked(procs, false)
}

// rescanLocked recounts from a full process table. A count that grew counts as forks and
// one that shrank as exits, so the delays apply as keepalived's reinitialisation does.
func (m *Monitor) rescanLocked(procs map[int]Proc, first bool) {
	pids := map[int]map[int]bool{}
	for pid, p := range procs {
		for i, q := range m.trackers {
			if q.spec.matches(p) {
				if pids[pid] == nil {
					pids[pid] = map[int]bool{}
				}
				pids[pid][i] = true
			}
		}
	}
	m.pids = pids
	counts := make([]int, len(m.trackers))
	for _, idx := range pids {
		for i := range idx {
			counts[i]++
		}
	}
	for i, q := range m.trackers {
		old := q.count
		q.count = counts[i]
		switch {
		case first:
			m.setUp(q, q.spec.inQuorum(q.count))
		case q.count > old:
			m.counted(q, old, causeFork)
		case q.count < old:
			m.counted(q, old, causeExit)
		}
	}
}

// Handle applies one process event. The event source's goroutine calls it; tests call it
// directly.
func (m *Monitor) Handle(ev Event) {
	var p Proc
	var err error
	if ev.Kind == EventExec {
		p, err = m.cfg.Procs.Read(ev.PID) // outside the lock: it reads /proc
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	switch ev.Kind {
	case EventFork:
		parent := m.pids[ev.ParentPID]
		if len(parent) == 0 {
			return // a process we do not count begets none we count
		}
		child := map[int]bool{}
		for _, i := range sortedSpecs(parent) {
			child[i] = true
			q := m.trackers[i]
			q.count++
			m.counted(q, q.count-1, causeFork)
		}
		m.pids[ev.PID] = child
	case EventExit:
		for _, i := range sortedSpecs(m.pids[ev.PID]) {
			q := m.trackers[i]
			q.count--
			m.counted(q, q.count+1, causeExit)
		}
		delete(m.pids, ev.PID)
	case EventExec:
		if err != nil {
			return // gone already: its exit follows
		}
		m.recheck(ev.PID, func(s *ProcessSpec) (bool, bool) { return s.matches(p), true })
	case EventComm:
		// Only names change here; a full_command spec matches the command line, which a
		// name change does not touch.
		m.recheck(ev.PID, func(s *ProcessSpec) (bool, bool) {
			if s.FullCommand {
				return false, false
			}
			return s.matches(Proc{Comm: ev.Comm}), true
		})
	}
}

// recheck matches pid again against every spec that match decides for.
func (m *Monitor) recheck(pid int, match func(*ProcessSpec) (matched, decided bool)) {
	cur := m.pids[pid]
	next := map[int]bool{}
	for i, q := range m.trackers {
		now, decided := match(q.spec)
		if !decided {
			now = cur[i]
		}
		if now {
			next[i] = true
		}
		if now == cur[i] {
			continue
		}
		old := q.count
		if now {
			q.count++
		} else {
			q.count--
		}
		m.counted(q, old, causeOther)
	}
	if len(next) == 0 {
		delete(m.pids, pid)
	} else {
		m.pids[pid] = next
	}
}

// counted acts on q's count having changed from old, by cause (keepalived's
// check_process_fork, check_process_termination and check_process).
func (m *Monitor) counted(q *quorum, old int, c cause) {
	now := q.spec.inQuorum(q.count)
	if now == q.spec.inQuorum(old) {
		return
	}
	switch c {
	case causeFork:
		if q.termStop != nil {
			q.termStop()
			q.termStop = nil
		} else if q.spec.ForkDelay > 0 {
			q.forkStop = m.cfg.AfterFunc(q.spec.ForkDelay, func() { m.delayed(q, &q.forkStop) })
			return
		}
	case causeExit:
		if q.forkStop != nil {
			q.forkStop()
			q.forkStop = nil
		} else if q.spec.TerminateDelay > 0 {
			q.termStop = m.cfg.AfterFunc(q.spec.TerminateDelay, func() { m.delayed(q, &q.termStop) })
			return
		}
	default:
		q.cancel()
	}
	m.setUp(q, now)
}

func (m *Monitor) delayed(q *quorum, pending *func() bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || *pending == nil {
		return
	}
	*pending = nil
	m.setUp(q, q.spec.inQuorum(q.count))
}

func (q *quorum) cancel() {
	for _, stop := range []*func() bool{&q.forkStop, &q.termStop} {
		if *stop != nil {
			(*stop)()
			*stop = nil
		}
	}
}

// setUp reports q's state if it is new. It is called with m.mu held, so reports come one
// at a time and in order.
func (m *Monitor) setUp(q *quorum, up bool) {
	if q.known && q.up == up {
		return
	}
	q.up, q.known = up, true
	word := map[bool]string{true: "gained", false: "lost"}[up]
	m.cfg.Log.Info("Quorum "+word+" for tracked process", "track_process", q.spec.Name, "running", q.count)
	if m.cfg.Report != nil {
		m.cfg.Report(q.spec.Name, up)
	}
}

// sortedSpecs lists a process's spec indexes in config order, so that reports keep it.
func sortedSpecs(set map[int]bool) []int {
	out := make([]int, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

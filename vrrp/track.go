package vrrp

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// TrackKind says what a tracked object is.
type TrackKind uint8

// Tracked object kinds: keepalived's track_interface, track_script, track_file and
// track_process and, halvs' addition, a virtual server's quorum.
const (
	TrackInterface TrackKind = iota + 1
	TrackScript
	TrackVirtualServer
	TrackFile    // a number in a file (SetTrackedValue), keepalived's track_file
	TrackProcess // a process quorum (SetTracked), keepalived's vrrp_track_process
)

func (k TrackKind) String() string {
	switch k {
	case TrackInterface:
		return "interface"
	case TrackScript:
		return "script"
	case TrackVirtualServer:
		return "virtual_server"
	case TrackFile:
		return "file"
	case TrackProcess:
		return "process"
	}
	return "track"
}

// Track is one tracked object of an instance. Weight 0 puts the instance in FAULT while
// the object is down. A positive weight is added to the priority while it is up, a
// negative one while it is down (keepalived's rule). An object whose state is not yet
// known counts as neither up nor down. A TrackFile's contribution is its value times
// Weight instead (see fileEffect).
type Track struct {
	Kind   TrackKind
	Name   string // interface, vrrp_script, virtual server, track_file or vrrp_track_process name
	Weight int
	// Reverse is keepalived's `reverse` on a TrackFile or TrackProcess: the weight is
	// multiplied by -1 (and with weight 0 the fault condition is inverted). The director
	// inverts the state of the other kinds before it feeds them.
	Reverse bool
}

func (t Track) source() string {
	if t.Kind == TrackInterface {
		return "link " + t.Name // the same source as LinkChanged, so both agree
	}
	return t.Kind.String() + " " + t.Name
}

type trackKey struct {
	kind TrackKind
	name string
}

// trackState computes the priority delta and fault sources of an instance's trackers.
type trackState struct {
	up    map[trackKey]bool // absent: unknown
	value map[trackKey]int  // TrackFile values; absent: unknown
}

func (s *trackState) setValue(k TrackKind, name string, v int) (changed bool) {
	if s.value == nil {
		s.value = map[trackKey]int{}
	}
	key := trackKey{k, name}
	old, known := s.value[key]
	s.value[key] = v
	return !known || old != v
}

func (s *trackState) set(k TrackKind, name string, up bool) (changed bool) {
	if s.up == nil {
		s.up = map[trackKey]bool{}
	}
	key := trackKey{k, name}
	old, known := s.up[key]
	s.up[key] = up
	return !known || old != up
}

// eval returns the sum of the weights in force and, for each weight-0 tracker, whether it
// is a fault now.
func (s *trackState) eval(tracks []Track) (delta int, faults map[string]bool) {
	faults = map[string]bool{}
	for _, t := range tracks {
		if t.Kind == TrackFile {
			v, known := s.value[trackKey{t.Kind, t.Name}]
			if !known {
				continue
			}
			d, fault := fileEffect(v, t.Weight, t.Reverse)
			faults[t.source()] = faults[t.source()] || fault
			delta += d
			continue
		}
		up, known := s.up[trackKey{t.Kind, t.Name}]
		if !known {
			continue
		}
		if t.Kind == TrackProcess {
			d, fault := processEffect(up, t.Weight, t.Reverse)
			faults[t.source()] = faults[t.source()] || fault
			delta += d
			continue
		}
		switch {
		case t.Weight == 0:
			faults[t.source()] = faults[t.source()] || !up
		case t.Weight > 0 && up, t.Weight < 0 && !up:
			delta += t.Weight
		}
	}
	return delta, faults
}

// ScriptConfig is keepalived's vrrp_script.
type ScriptConfig struct {
	Name     string
	Argv     []string      // run without a shell
	Interval time.Duration // between runs; 1 s when zero
	Timeout  time.Duration // per run; Interval when zero
	Rise     int           // successes in a row to go up; 1 when zero
	Fall     int           // failures in a row to go down; 1 when zero
}

// ScriptTracker runs a vrrp_script periodically and reports up/down changes, applying
// rise and fall. Feed its reports to Instance.SetTracked(TrackScript, name, up).
type ScriptTracker struct {
	cfg    ScriptConfig
	run    ScriptRunner
	clock  Clock
	log    *slog.Logger
	report func(up bool)

	mu      sync.Mutex
	up      bool
	known   bool
	streak  int // consecutive results in the direction away from the current state
	timer   Timer
	stopped bool
	running sync.WaitGroup
}

// NewScriptTracker returns a tracker that calls report on every state change (and once
// with the first settled state). run and clock may be nil for the real ones. Its lines
// carry "script" (cfg.Name): log must not have that key already.
func NewScriptTracker(cfg ScriptConfig, run ScriptRunner, clock Clock, log *slog.Logger, report func(up bool)) *ScriptTracker {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Interval
	}
	cfg.Rise, cfg.Fall = max(cfg.Rise, 1), max(cfg.Fall, 1)
	if run == nil {
		run = RunScript
	}
	if clock == nil {
		clock = RealClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &ScriptTracker{cfg: cfg, run: run, clock: clock, log: log.With("script", cfg.Name), report: report}
}

// Start runs the script now and then every Interval until Stop.
func (s *ScriptTracker) Start() { s.schedule(0) }

// Stop ends the schedule and waits for a running script.
func (s *ScriptTracker) Stop() {
	s.mu.Lock()
	s.stopped = true
	if s.timer != nil && s.timer.Stop() {
		s.running.Done() // the run that will not happen
	}
	s.timer = nil
	s.mu.Unlock()
	s.running.Wait()
}

func (s *ScriptTracker) schedule(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.running.Add(1)
	s.timer = s.clock.AfterFunc(d, func() {
		defer s.running.Done()
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
		err := s.run(ctx, s.cfg.Argv)
		cancel()
		if err != nil {
			s.log.Debug("vrrp_script failed", "err", err)
		}
		s.Result(err == nil)
		s.schedule(s.cfg.Interval)
	})
}

// Result applies one run's outcome: the state changes after Rise successes or Fall
// failures in a row. The first state is settled by whichever count is reached first.
func (s *ScriptTracker) Result(ok bool) {
	s.mu.Lock()
	if s.known && ok == s.up {
		s.streak = 0
		s.mu.Unlock()
		return
	}
	if !s.known && s.streak != 0 && (s.streak > 0) != ok {
		s.streak = 0 // an unsettled tracker counts whichever direction it last saw
	}
	if ok {
		s.streak = max(s.streak, 0) + 1
	} else {
		s.streak = min(s.streak, 0) - 1
	}
	changed := ok && s.streak >= s.cfg.Rise || !ok && -s.streak >= s.cfg.Fall
	if changed {
		s.up, s.known, s.streak = ok, true, 0
	}
	s.mu.Unlock()
	if changed {
		s.log.Info("vrrp_script state", "up", ok)
		if s.report != nil {
			s.report(ok)
		}
	}
}

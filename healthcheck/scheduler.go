package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/halvs/halvs/internal/clock"
	"github.com/halvs/halvs/internal/script"
)

// Options tune a Scheduler; the zero value is ready to use.
type Options struct {
	// Clock defaults to the system clock.
	Clock Clock
	// OnEvent receives every event, in order, from the scheduler's goroutine, starting with the
	// initial state (Initial set). It must not block for long: checks wait for it.
	OnEvent func(Event)
	// OnResult, when set, receives every finished check's result (for metrics), once for each
	// real server the probe feeds, with the scheduler's virtual server name and the checker's
	// String, from the scheduler's goroutine before the events the result causes. It must not
	// block: checks wait for it. A result a reload made stale while it ran is not reported.
	OnResult func(virtualServer string, realServer netip.AddrPort, checker string, r Result)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MaxJitter bounds the random spread added to every delay (±MaxJitter/2, and never more than
	// a tenth of the delay); zero means DefaultMaxJitter, negative none.
	MaxJitter time.Duration
	// RunScript runs notify and quorum scripts, one at a time in the order decided; nil means
	// script.Run. Scripts without a Timeout get ScriptTimeout.
	RunScript     func(context.Context, script.Command) script.Result
	ScriptTimeout time.Duration // zero: DefaultScriptTimeout
	// Rand seeds warmup and jitter; nil means a random seed.
	Rand *rand.Rand
	// MaxInFlight caps the probes running at once; zero or less means DefaultMaxInFlight. Due
	// checks beyond the cap wait for a slot in due order. Waiting costs no failure: a probe's
	// timeouts start when it starts, and its next check is scheduled from its result.
	MaxInFlight int
}

// Defaults for Options.
const (
	DefaultMaxJitter     = 10 * time.Millisecond
	DefaultScriptTimeout = 30 * time.Second
	// DefaultMaxInFlight bounds concurrent probes (and so their goroutines and sockets): far
	// above what thousands of checks at delay_loop 1 s need when targets answer, and a ceiling
	// when many time out together on a loaded machine.
	DefaultMaxInFlight = 1024
	// maxBatchWindow bounds how early a check may start so that one timer wake-up starts
	// every check due within the window (engine.window scales it down for short delays).
	// Each batch costs a thread wake-up and sleep, a real share of the checker's CPU at
	// thousands of checks a second in short batches; in 10 ms batches a check starts at
	// most 1% of a 1 s delay_loop early, never late.
	maxBatchWindow = 10 * time.Millisecond
)

// Scheduler runs the checks of a set of virtual servers with keepalived's semantics and reports
// health changes. One goroutine owns a heap of probes ordered by due time and a single timer;
// each due check runs in a short-lived goroutine, at most Options.MaxInFlight at once, so idle
// checks cost no goroutine or timer.
type Scheduler struct {
	opts    Options
	log     *slog.Logger
	clock   Clock
	mu      sync.Mutex // guards eng, initial, started, stopped
	eng     *engine
	initial output
	started bool
	stopped bool
	results chan probeResult
	updates chan updateRequest
	done    chan struct{} // closed when Run stops taking updates
	scripts *scriptQueue
	fed     []*rsState // apply's scratch for OnResult; only Run's goroutine uses it
}

type probeResult struct {
	p *probe
	r Result
}

type updateRequest struct {
	vss   []VirtualServer
	reply chan error
}

// ErrStopped is returned by Update once Run has returned.
var ErrStopped = errors.New("healthcheck: scheduler stopped")

// New validates the virtual servers and builds their checkers; nothing runs until Run.
func New(vss []VirtualServer, opts Options) (*Scheduler, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	switch {
	case opts.MaxJitter == 0:
		opts.MaxJitter = DefaultMaxJitter
	case opts.MaxJitter < 0:
		opts.MaxJitter = 0
	}
	if opts.RunScript == nil {
		opts.RunScript = script.Run
	}
	if opts.ScriptTimeout == 0 {
		opts.ScriptTimeout = DefaultScriptTimeout
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	eng, initial, err := newEngine(vss, opts.Clock.Now(), opts.Rand, opts.MaxJitter)
	if err != nil {
		return nil, err
	}
	return &Scheduler{opts: opts, log: opts.Logger, clock: opts.Clock, eng: eng, initial: initial,
		// Room for every running probe: a finished probe never waits to report.
		results: make(chan probeResult, opts.MaxInFlight),
		updates: make(chan updateRequest), done: make(chan struct{})}, nil
}

// Status returns a snapshot of every virtual server's health. Safe for concurrent use.
func (s *Scheduler) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eng.status()
}

// Update replaces the virtual servers, as a reload does (see engine.update for the rules: kept
// real servers keep their health and schedule, new ones start as at startup and report their
// Initial state, removed ones stop). The new set is validated whole first: on error nothing
// changes. Update is safe while Run runs; its events and scripts are delivered by Run's
// goroutine, in order with the others, before Update returns, so it must not be called from
// OnEvent. Before Run, the changes are delivered when Run starts. After Run returned it
// returns ErrStopped.
func (s *Scheduler) Update(vss []VirtualServer) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return ErrStopped
	}
	if !s.started {
		defer s.mu.Unlock()
		out, err := s.eng.update(vss, s.clock.Now())
		if err != nil {
			return err
		}
		s.initial.events = append(s.initial.events, out.events...)
		s.initial.scripts = append(s.initial.scripts, out.scripts...)
		return nil
	}
	s.mu.Unlock()
	req := updateRequest{vss: vss, reply: make(chan error, 1)}
	select {
	case s.updates <- req:
		return <-req.reply
	case <-s.done:
		return ErrStopped
	}
}

// Run checks until ctx is done, then waits for running checks to end, runs omega's scripts and
// the scripts still queued, and returns. Run may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("healthcheck: Run called twice")
	}
	s.started = true
	initial := s.initial
	s.initial = output{}
	s.mu.Unlock()
	s.scripts = newScriptQueue(s.opts.RunScript, s.opts.ScriptTimeout, s.log)
	scriptsDone := make(chan struct{})
	go func() { s.scripts.run(); close(scriptsDone) }()

	checkCtx, cancelChecks := context.WithCancel(context.Background())
	defer cancelChecks()
	var inflight sync.WaitGroup
	running := 0
	var waiting []*probe // due, waiting for a slot, in due order
	s.emit(initial)

	timer := s.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := s.clock.Now()
		waiting = s.eng.due(now.Add(s.eng.window), waiting)
		s.mu.Unlock()
		started := 0
		for started < len(waiting) && running < s.opts.MaxInFlight {
			p := waiting[started]
			waiting[started] = nil
			started++
			if !s.eng.current(p) { // dropped by a reload while it waited
				continue
			}
			running++
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				s.results <- probeResult{p, p.checker.Check(checkCtx)}
			}()
		}
		waiting = waiting[:copy(waiting, waiting[started:])]
		s.mu.Lock()
		next, ok := s.eng.next()
		s.mu.Unlock()
		if ok {
			timer.Reset(max(0, next.Sub(now)))
		}
		select {
		case <-ctx.Done():
			s.mu.Lock()
			s.stopped = true
			s.mu.Unlock()
			close(s.done)
			cancelChecks()
			go func() { inflight.Wait(); close(s.results) }()
			for range s.results { // drain: the checks end promptly once cancelled
			}
			s.mu.Lock()
			out := s.eng.stop()
			s.mu.Unlock()
			s.emit(out)
			s.scripts.close()
			<-scriptsDone
			return nil
		case <-timer.C():
		case req := <-s.updates:
			s.mu.Lock()
			out, err := s.eng.update(req.vss, s.clock.Now())
			s.mu.Unlock()
			if err == nil {
				s.log.Info("healthcheck: reloaded", "virtual_servers", len(req.vss), "events", len(out.events))
			}
			s.emit(out)
			req.reply <- err
		case pr := <-s.results:
			running--
			s.apply(pr)
			// Take what else is ready without re-arming the timer each time.
			for more := true; more; {
				select {
				case pr := <-s.results:
					running--
					s.apply(pr)
				default:
					more = false
				}
			}
		}
	}
}

func (s *Scheduler) apply(pr probeResult) {
	s.mu.Lock()
	if s.opts.OnResult != nil && s.eng.current(pr.p) {
		s.fed = append(s.fed[:0], pr.p.subs...)
	}
	out := s.eng.result(pr.p, pr.r, s.clock.Now())
	s.mu.Unlock()
	if len(s.fed) > 0 {
		name := pr.p.checker.String()
		for i, rs := range s.fed {
			s.opts.OnResult(rs.vs.spec.Name, rs.spec.Addr, name, pr.r)
			s.fed[i] = nil
		}
		s.fed = s.fed[:0]
	}
	s.emit(out)
}

func (s *Scheduler) emit(out output) {
	for _, f := range out.failures {
		s.log.Info("healthcheck: check failed", "checker", f.checker, "attempt", fmt.Sprintf("%d/%d", f.attempt, f.attempts), "err", f.err)
	}
	for _, ev := range out.events {
		if !ev.Initial {
			attrs := []any{"virtual_server", ev.VirtualServer}
			switch {
			case ev.Type == RealServerDown && ev.Inhibit:
				attrs = append(attrs, "weight", 0, "inhibit_on_failure", true)
			case ev.Type == RealServerDown:
				attrs = append(attrs, "action", "remove from the table")
			default:
				attrs = append(attrs, "weight", ev.Weight)
			}
			if ev.RealServer.IsValid() {
				attrs = append(attrs, "real_server", ev.RealServer)
			}
			if ev.Reason != "" {
				attrs = append(attrs, "reason", ev.Reason)
			}
			s.log.Info("healthcheck: "+ev.Type.String(), attrs...)
		}
		if s.opts.OnEvent != nil {
			s.opts.OnEvent(ev)
		}
	}
	for _, sc := range out.scripts {
		s.scripts.push(sc)
	}
}

// scriptQueue runs scripts one at a time in the order they were decided, so a notify_down is
// never overtaken by the notify_up that followed it.
type scriptQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []scriptRun
	closed  bool
	run1    func(context.Context, script.Command) script.Result
	timeout time.Duration
	log     *slog.Logger
}

func newScriptQueue(run func(context.Context, script.Command) script.Result, timeout time.Duration, log *slog.Logger) *scriptQueue {
	q := &scriptQueue{run1: run, timeout: timeout, log: log}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *scriptQueue) push(s scriptRun) {
	q.mu.Lock()
	q.queue = append(q.queue, s)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *scriptQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *scriptQueue) run() {
	for {
		q.mu.Lock()
		for len(q.queue) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.queue) == 0 {
			q.mu.Unlock()
			return
		}
		s := q.queue[0]
		q.queue = q.queue[1:]
		q.mu.Unlock()
		cmd := s.cmd
		if cmd.Timeout == 0 {
			cmd.Timeout = q.timeout
		}
		r := q.run1(context.Background(), cmd)
		if r.Err != nil {
			q.log.Warn("healthcheck: script failed", "script", s.reason, "err", r.Err, "output", lastLine(r.Output))
		} else {
			q.log.Debug("healthcheck: script ran", "script", s.reason)
		}
	}
}

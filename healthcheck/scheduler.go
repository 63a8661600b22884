package healthcheck

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/halvs/halvs/internal/script"
)

// Options tune a Scheduler; the zero value is ready to use.
type Options struct {
	// Clock defaults to the system clock.
	Clock Clock
	// OnEvent receives every event, in order, from the scheduler's goroutine, starting with the
	// initial state (Initial set). It must not block for long: checks wait for it.
	OnEvent func(Event)
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
}

// Defaults for Options.
const (
	DefaultMaxJitter     = 10 * time.Millisecond
	DefaultScriptTimeout = 30 * time.Second
	// batchWindow lets one timer wake-up start every check due within it.
	batchWindow = time.Millisecond
)

// Scheduler runs the checks of a set of virtual servers with keepalived's semantics and reports
// health changes. One goroutine owns a heap of probes ordered by due time and a single timer;
// each due check runs in a short-lived goroutine, so idle checks cost no goroutine or timer.
type Scheduler struct {
	opts    Options
	log     *slog.Logger
	clock   Clock
	mu      sync.Mutex // guards eng
	eng     *engine
	initial output
	results chan probeResult
	scripts *scriptQueue
	started bool
}

type probeResult struct {
	p *probe
	r Result
}

// New validates the virtual servers and builds their checkers; nothing runs until Run.
func New(vss []VirtualServer, opts Options) (*Scheduler, error) {
	if opts.Clock == nil {
		opts.Clock = realClock{}
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
	eng, initial, err := newEngine(vss, opts.Clock.Now(), opts.Rand, opts.MaxJitter)
	if err != nil {
		return nil, err
	}
	return &Scheduler{opts: opts, log: opts.Logger, clock: opts.Clock, eng: eng, initial: initial,
		results: make(chan probeResult, 1024)}, nil
}

// Status returns a snapshot of every virtual server's health. Safe for concurrent use.
func (s *Scheduler) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eng.status()
}

// Run checks until ctx is done, then waits for running checks to end, runs omega's scripts and
// the scripts still queued, and returns. Run may be called once.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.started {
		return errors.New("healthcheck: Run called twice")
	}
	s.started = true
	s.scripts = newScriptQueue(s.opts.RunScript, s.opts.ScriptTimeout, s.log)
	scriptsDone := make(chan struct{})
	go func() { s.scripts.run(); close(scriptsDone) }()

	checkCtx, cancelChecks := context.WithCancel(context.Background())
	var inflight sync.WaitGroup
	s.emit(s.initial)

	timer := s.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := s.clock.Now()
		due := s.eng.due(now.Add(batchWindow))
		next, ok := s.eng.next()
		s.mu.Unlock()
		for _, p := range due {
			inflight.Add(1)
			go func(p *probe) {
				defer inflight.Done()
				s.results <- probeResult{p, p.checker.Check(checkCtx)}
			}(p)
		}
		if ok {
			timer.Reset(max(0, next.Sub(now)))
		}
		select {
		case <-ctx.Done():
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
		case pr := <-s.results:
			s.apply(pr)
			// Take what else is ready without re-arming the timer each time.
			for more := true; more; {
				select {
				case pr := <-s.results:
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
	out := s.eng.result(pr.p, pr.r, s.clock.Now())
	s.mu.Unlock()
	s.emit(out)
}

func (s *Scheduler) emit(out output) {
	for _, ev := range out.events {
		if !ev.Initial {
			attrs := []any{"virtual_server", ev.VirtualServer, "weight", ev.Weight}
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

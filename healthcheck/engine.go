package healthcheck

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/halvs/halvs/internal/script"
	"github.com/halvs/halvs/lvs"
)

// engine is the scheduler's logic with no goroutine, socket or clock of its own: it is handed the
// time and the probe results and returns what to announce. keepalived's rules (check_tcp.c
// tcp_epilog, check_data.c, ipwrapper.c) live here and are table-tested with a fake clock.
// An engine must not be used concurrently.
type engine struct {
	probes    map[string]*probe
	queue     probeQueue
	vss       []*vsState
	rnd       *rand.Rand
	maxJitter time.Duration
	// window is how early a check may start to share a timer wake-up with others:
	// maxBatchWindow, or a hundredth of the shortest delay when that is less.
	window time.Duration
}

// probe is one shared checker: same kind, target, parameters and timing.
type probe struct {
	key     string
	specKey string // key without the timing: the same target and parameters
	checker Checker
	timing  Timing
	due     time.Time
	index   int // in queue; -1 while running or unscheduled
	running bool
	retired bool // a reload dropped or replaced it: its results feed nobody

	// keepalived's checker_t state.
	up      bool
	hasRun  bool
	retryIt int
	dyn     *int // misc_dynamic weight while up
	offset  int  // file_check weight offset while up
	since   time.Time
	last    Result
	lastAt  time.Time

	subs []*rsState
}

type rsState struct {
	vs       *vsState
	spec     RealServer
	probes   []*probe
	alive    bool
	weight   int
	since    time.Time
	notified bool // alpha: the first failure's notify_down has run
}

type vsState struct {
	spec     VirtualServer
	rss      []*rsState
	quorumUp bool
	since    time.Time
}

// output collects what one step decided, in order.
type output struct {
	events   []Event
	scripts  []scriptRun
	failures []failure // log_all_failures
}

// failure is one failed check to log: the attempt'th of retry+1 before the checker goes down.
type failure struct {
	checker  string
	attempt  int
	attempts int
	err      error
}

type scriptRun struct {
	cmd    script.Command
	reason string // "notify_up 10.0.0.1:80" for logs
}

func (o *output) script(c *script.Command, reason string) {
	if c != nil {
		o.scripts = append(o.scripts, scriptRun{cmd: *c, reason: reason})
	}
}

// newEngine builds the probes (sharing identical ones), schedules each probe's first check at a
// random offset within its warmup, and reports the initial state: real servers are up unless a
// checker has alpha, quorum is up when the alive weight reaches quorum + hysteresis. Starting is
// a reload onto an empty engine: every virtual and real server is new.
func newEngine(vss []VirtualServer, now time.Time, rnd *rand.Rand, maxJitter time.Duration) (*engine, output, error) {
	e := &engine{probes: map[string]*probe{}, queue: newProbeQueue(now), rnd: rnd, maxJitter: maxJitter}
	out, err := e.update(vss, now)
	if err != nil {
		return nil, out, err
	}
	return e, out, nil
}

// current reports whether p is still one of the engine's probes (a reload may have dropped it).
func (e *engine) current(p *probe) bool { return !p.retired }

// next returns when the earliest scheduled probe is due.
func (e *engine) next() (time.Time, bool) {
	if e.queue.len() == 0 {
		return time.Time{}, false
	}
	return e.queue.first().due, true
}

// due removes the probes due at or before now, marks them running and appends them to ps.
func (e *engine) due(now time.Time, ps []*probe) []*probe {
	for e.queue.len() > 0 && !e.queue.first().due.After(now) {
		p := e.queue.pop()
		p.running = true
		ps = append(ps, p)
	}
	return ps
}

// result applies one probe result with keepalived's epilog and schedules the probe's next run.
func (e *engine) result(p *probe, r Result, now time.Time) output {
	var out output
	p.running = false
	if !e.current(p) {
		// A reload removed or replaced the probe while it ran: its result feeds nobody.
		return out
	}
	p.last, p.lastAt = r, now
	first := !p.hasRun
	t := p.timing
	if !r.OK && t.LogAllFailures && (p.up || first) {
		// keepalived logs a failure while the checker is up or has not run; one that is
		// already down fails silently until it recovers.
		out.failures = append(out.failures, failure{checker: p.checker.String(), attempt: p.retryIt + 1, attempts: t.Retry + 1, err: r.Err})
	}
	delay := t.DelayLoop
	switch {
	case r.OK || ((p.up || !p.hasRun) && p.retryIt >= t.Retry):
		p.retryIt = 0
		if r.OK {
			changed := !intPtrEqual(p.dyn, r.DynamicWeight) || p.offset != r.WeightOffset
			p.dyn, p.offset = r.DynamicWeight, r.WeightOffset
			if !p.up {
				e.transition(p, true, now, &out)
			} else if changed {
				for _, rs := range p.subs {
					rs.reevaluate(now, "", &out)
				}
			}
		} else {
			if p.up {
				e.transition(p, false, now, &out)
			} else if first {
				// alpha: the server was down from the start; keepalived still runs
				// notify_down on the first failure (update_svr_checker_state).
				for _, rs := range p.subs {
					if !rs.alive && !rs.notified {
						rs.notified = true
						out.script(rs.spec.NotifyDown, fmt.Sprintf("notify_down %v", rs.spec.Addr))
					}
				}
			}
		}
	case p.up:
		delay = t.DelayBeforeRetry
		p.retryIt++
	}
	p.hasRun = true
	p.due = now.Add(e.jitter(delay))
	e.queue.push(p)
	return out
}

// jitter spreads checks that would otherwise fire together: ±half of min(maxJitter, delay/10).
func (e *engine) jitter(d time.Duration) time.Duration {
	j := min(e.maxJitter, d/10)
	if j <= 0 {
		return d
	}
	return d - j/2 + time.Duration(e.rnd.Int64N(int64(j)+1))
}

func (e *engine) transition(p *probe, up bool, now time.Time, out *output) {
	p.up, p.since = up, now
	if !up {
		// keepalived drops a failed checker's weight contribution (cur_weight = 0).
		p.dyn, p.offset = nil, 0
	}
	reason := ""
	if !up && p.last.Err != nil {
		reason = fmt.Sprintf("%v: %v", p.checker, p.last.Err)
	}
	for _, rs := range p.subs {
		rs.reevaluate(now, reason, out)
	}
}

// stop returns what omega asks for on shutdown: notify_down for alive servers, quorum_down.
func (e *engine) stop() output {
	var out output
	for _, vs := range e.vss {
		if !vs.spec.Omega {
			continue
		}
		for _, rs := range vs.rss {
			if rs.alive {
				out.script(rs.spec.NotifyDown, fmt.Sprintf("notify_down %v (omega)", rs.spec.Addr))
			}
		}
		out.script(vs.spec.QuorumDown, "quorum_down "+vs.spec.Name+" (omega)")
	}
	return out
}

// evaluate returns whether all the server's checkers are up and its effective weight: the
// configured weight, replaced by a misc_dynamic weight, plus file_check offsets (keepalived keeps
// each checker's contribution as cur_weight relative to the configured weight).
func (rs *rsState) evaluate() (bool, int) {
	alive := true
	w := int64(rs.spec.Weight)
	for _, p := range rs.probes {
		alive = alive && p.up
		if p.dyn != nil {
			w += int64(*p.dyn) - int64(rs.spec.Weight)
		}
		w += int64(p.offset)
	}
	return alive, lvs.ClampWeight(w)
}

func (rs *rsState) reevaluate(now time.Time, reason string, out *output) {
	alive, w := rs.evaluate()
	switch {
	case alive != rs.alive:
		rs.alive, rs.weight, rs.since = alive, w, now
		ev := rs.event(now, false)
		ev.Reason = reason
		out.events = append(out.events, ev)
		if alive {
			out.script(rs.spec.NotifyUp, fmt.Sprintf("notify_up %v", rs.spec.Addr))
		} else {
			out.script(rs.spec.NotifyDown, fmt.Sprintf("notify_down %v", rs.spec.Addr))
		}
		rs.notified = true
		rs.vs.updateQuorum(now, out)
	case w != rs.weight:
		rs.weight = w
		if alive {
			out.events = append(out.events, rs.weightEvent(now))
			rs.vs.updateQuorum(now, out)
		}
	}
}

func (rs *rsState) weightEvent(now time.Time) Event {
	return Event{Type: WeightChanged, Time: now, VirtualServer: rs.vs.spec.Name, RealServer: rs.spec.Addr,
		Weight: rs.weight, Inhibit: rs.spec.InhibitOnFailure}
}

func (rs *rsState) event(now time.Time, initial bool) Event {
	ev := Event{Type: RealServerUp, Time: now, VirtualServer: rs.vs.spec.Name, RealServer: rs.spec.Addr, Weight: rs.weight, Initial: initial}
	if !rs.alive {
		ev.Type = RealServerDown
		ev.Inhibit = rs.spec.InhibitOnFailure
	}
	return ev
}

func (vs *vsState) aliveWeight() int {
	sum := 0
	for _, rs := range vs.rss {
		if rs.alive {
			sum += rs.weight
		}
	}
	return sum
}

// updateQuorum is keepalived's update_quorum_state: gained at quorum + hysteresis, lost below
// quorum − hysteresis or when no weight is left.
func (vs *vsState) updateQuorum(now time.Time, out *output) {
	sum := vs.aliveWeight()
	q, h := vs.spec.Quorum, vs.spec.Hysteresis
	ev := Event{Time: now, VirtualServer: vs.spec.Name, Weight: sum, SorryServer: vs.spec.SorryServer}
	switch {
	case !vs.quorumUp && sum >= q+h:
		vs.quorumUp, vs.since = true, now
		ev.Type = QuorumRegained
		out.events = append(out.events, ev)
		out.script(vs.spec.QuorumUp, "quorum_up "+vs.spec.Name)
	case vs.quorumUp && (sum == 0 || sum < q-h):
		vs.quorumUp, vs.since = false, now
		ev.Type = QuorumLost
		out.events = append(out.events, ev)
		out.script(vs.spec.QuorumDown, "quorum_down "+vs.spec.Name)
	}
}

func (e *engine) status() []Status {
	out := make([]Status, 0, len(e.vss))
	for _, vs := range e.vss {
		st := Status{VirtualServer: vs.spec.Name, Quorum: vs.spec.Quorum, Hysteresis: vs.spec.Hysteresis,
			QuorumUp: vs.quorumUp, AliveWeight: vs.aliveWeight(), QuorumSince: vs.since}
		for _, rs := range vs.rss {
			rst := RealServerStatus{Addr: rs.spec.Addr, Alive: rs.alive, Weight: rs.weight, Since: rs.since}
			for _, p := range rs.probes {
				cs := CheckStatus{Checker: p.checker.String(), Up: p.up, HasRun: p.hasRun, Since: p.since,
					LastAt: p.lastAt, LastOK: p.last.OK, LastLatency: p.last.Latency, Shared: len(p.subs)}
				if p.up && p.retryIt > 0 {
					cs.Retries = p.retryIt
				}
				if p.last.Err != nil {
					cs.LastError = p.last.Err.Error()
				}
				rst.Checks = append(rst.Checks, cs)
			}
			st.RealServers = append(st.RealServers, rst)
		}
		out = append(out, st)
	}
	return out
}

func intPtrEqual(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

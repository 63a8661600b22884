package healthcheck

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/halvs/halvs/internal/clock/clocktest"
)

// fakeSpec is a check the test controls: its name is its identity, its checker is given.
type fakeSpec struct {
	name string
	chk  Checker
}

func (fakeSpec) Kind() Kind                         { return "FAKE_CHECK" }
func (s fakeSpec) resolve(resolveEnv) (Spec, error) { return s, nil }
func (s fakeSpec) key() string                      { return s.name }
func (s fakeSpec) newChecker() (Checker, error)     { return s.chk, nil }

// gateChecker blocks each Check until released, counts the probes running at once, and fails a
// probe whose own run took longer than timeout on the fake clock (as a connect_timeout would).
type gateChecker struct {
	name    string
	clock   *clocktest.Clock
	timeout time.Duration
	gauge   *gauge
	started chan<- string // receives name when a probe starts
	release chan struct{} // one value lets one probe finish
	ok      func() bool   // the answer when released; nil: OK
}

func newGateChecker(name string, clock *clocktest.Clock, timeout time.Duration, g *gauge, started chan<- string) *gateChecker {
	return &gateChecker{name: name, clock: clock, timeout: timeout, gauge: g, started: started, release: make(chan struct{}, 1)}
}

func (c *gateChecker) String() string { return "fake_check " + c.name }

func (c *gateChecker) Check(ctx context.Context) Result {
	start := c.clock.Now()
	c.gauge.enter()
	defer c.gauge.leave()
	c.started <- c.name
	select {
	case <-c.release:
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
	if took := c.clock.Now().Sub(start); took > c.timeout {
		return Result{Err: fmt.Errorf("timed out after %v", took)}
	}
	if c.ok != nil && !c.ok() {
		return Result{Err: fmt.Errorf("refused")}
	}
	return Result{OK: true}
}

// gauge counts concurrent probes and remembers the peak.
type gauge struct {
	mu        sync.Mutex
	cur, peak int
}

func (g *gauge) enter() {
	g.mu.Lock()
	g.cur++
	g.peak = max(g.peak, g.cur)
	g.mu.Unlock()
}

func (g *gauge) leave() {
	g.mu.Lock()
	g.cur--
	g.mu.Unlock()
}

func (g *gauge) max() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}

package healthcheck

import (
	"context"
	"errors"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/clock/clocktest"
)

// answerChecker answers at once with ok and reports each run.
type answerChecker struct {
	name string
	ran  chan<- string
}

func (c *answerChecker) String() string { return "fake_check " + c.name }
func (c *answerChecker) Check(context.Context) Result {
	c.ran <- c.name
	return Result{OK: true}
}

type brief struct {
	Type    EventType
	Server  string
	Weight  int
	Initial bool
}

func briefOf(e Event) brief {
	name := e.VirtualServer
	if e.RealServer.IsValid() {
		name = e.RealServer.String()
	}
	return brief{e.Type, name, e.Weight, e.Initial}
}

// receive takes n events, waiting for each at most wait (zero: they must be there already).
func receive(t *testing.T, events <-chan Event, n int, wait time.Duration) []brief {
	t.Helper()
	var got []brief
	for range n {
		var timeout <-chan time.Time
		if wait > 0 {
			timeout = time.After(wait)
		}
		select {
		case e := <-events:
			got = append(got, briefOf(e))
		default:
			select {
			case e := <-events:
				got = append(got, briefOf(e))
			case <-timeout: // nil when wait is 0: then the events must be there already
				t.Fatalf("got %d events %v, want %d", len(got), got, n)
			}
		}
	}
	return got
}

// TestSchedulerUpdate reloads before and while Run runs: each update's events are delivered, in
// order, before Update returns; a new server's probe starts at once (no warmup); a bad set is
// refused; after Run, Update reports ErrStopped.
func TestSchedulerUpdate(t *testing.T) {
	const a, b, c = "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"
	clk := clocktest.New(t0)
	ran := make(chan string, 100)
	tm := Timing{DelayLoop: time.Minute}
	check := func(name string, tm Timing) Check {
		return Check{Spec: fakeSpec{name: name, chk: &answerChecker{name: name, ran: ran}}, Timing: tm}
	}
	server := func(addr string, w int, checks ...Check) RealServer {
		return RealServer{Addr: netip.MustParseAddrPort(addr), Weight: w, Checks: checks}
	}
	vs := func(rss ...RealServer) []VirtualServer {
		return []VirtualServer{{Name: "vs", Quorum: 1, RealServers: rss}}
	}

	events := make(chan Event, 100)
	s, err := New(vs(server(a, 3, check("a", tm)), server(b, 1, check("b", tm))),
		Options{Clock: clk, MaxJitter: -1, OnEvent: func(e Event) { events <- e }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(vs(server(a, 3, check("a", tm)), server(b, 2, check("b", tm)))); err != nil {
		t.Fatalf("Update before Run: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	want := []brief{{RealServerUp, a, 3, true}, {RealServerUp, b, 1, true}, {QuorumRegained, "vs", 4, true},
		{WeightChanged, b, 2, false}}
	if diff := cmp.Diff(want, receive(t, events, len(want), 10*time.Second)); diff != "" {
		t.Errorf("events at start (-want +got):\n%s", diff)
	}
	for range 2 {
		<-ran
	}

	alpha := tm
	alpha.Alpha = true
	if err := s.Update(vs(server(a, 5, check("a", tm)), server(c, 1, check("c", alpha)))); err != nil {
		t.Fatalf("Update: %v", err)
	}
	want = []brief{{WeightChanged, a, 5, false}, {RealServerDown, c, 1, true}}
	if diff := cmp.Diff(want, receive(t, events, len(want), 0)); diff != "" {
		t.Errorf("events of the update (-want +got):\n%s", diff)
	}
	if got := <-ran; got != "c" {
		t.Errorf("probe %q ran after the update, want the new server's c", got)
	}
	want = []brief{{RealServerUp, c, 1, false}}
	if diff := cmp.Diff(want, receive(t, events, 1, 10*time.Second)); diff != "" {
		t.Errorf("events after c's first check (-want +got):\n%s", diff)
	}

	before := s.Status()
	if err := s.Update(vs(server(a, 5, check("a", Timing{})))); err == nil {
		t.Error("Update with delay_loop 0 succeeded")
	}
	if diff := cmp.Diff(before, s.Status(), cmp.Comparer(func(x, y netip.AddrPort) bool { return x == y })); diff != "" {
		t.Errorf("a refused update changed the status (-want +got):\n%s", diff)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Update(vs()); !errors.Is(err, ErrStopped) {
		t.Errorf("Update after Run: %v, want ErrStopped", err)
	}
	select {
	case e := <-events:
		t.Errorf("unexpected event %+v", e)
	default:
	}
}

// TestSchedulerMaxInFlight: with MaxInFlight 2, six due probes run two at a time. The four that
// wait 30 s for a slot (longer than their 5 s timeout) still pass: a probe's timeout starts when
// it starts, so waiting is never a failure.
func TestSchedulerMaxInFlight(t *testing.T) {
	clk := clocktest.New(t0)
	g := &gauge{}
	started := make(chan string, 100)
	tm := Timing{DelayLoop: time.Minute}
	var rss []RealServer
	gates := map[string]*gateChecker{}
	for i, name := range []string{"p1", "p2", "p3", "p4", "p5", "p6"} {
		gc := newGateChecker(name, clk, 5*time.Second, g, started)
		gc.timeout = time.Hour // the first two to start are held 30 s; see below
		gates[name] = gc
		rss = append(rss, RealServer{Addr: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(80+i)), Weight: 1,
			Checks: []Check{{Spec: fakeSpec{name: name, chk: gc}, Timing: tm}}})
	}
	events := make(chan Event, 100)
	s, err := New([]VirtualServer{{Name: "vs", Quorum: 1, RealServers: rss}},
		Options{Clock: clk, MaxJitter: -1, MaxInFlight: 2, OnEvent: func(e Event) { events <- e }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	first := []string{<-started, <-started}
	for name, gc := range gates {
		if name != first[0] && name != first[1] {
			gc.timeout = 5 * time.Second
		}
	}
	clk.Advance(30 * time.Second) // the other four have waited 30 s for a slot
	var order []string
	for _, name := range first {
		gates[name].release <- struct{}{}
	}
	for range 4 {
		name := <-started
		order = append(order, name)
		gates[name].release <- struct{}{}
	}
	waitStatus(t, s, func(st []Status) bool {
		for _, rs := range st[0].RealServers {
			if !rs.Checks[0].HasRun {
				return false
			}
		}
		return true
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := g.max(); got != 2 {
		t.Errorf("at most %d probes ran at once, want 2", got)
	}
	sort.Strings(order)
	var rest []string
	for _, n := range []string{"p1", "p2", "p3", "p4", "p5", "p6"} {
		if n != first[0] && n != first[1] {
			rest = append(rest, n)
		}
	}
	if diff := cmp.Diff(rest, order); diff != "" {
		t.Errorf("probes run after the wait (-want +got):\n%s", diff)
	}
	for _, st := range s.Status()[0].RealServers {
		c := st.Checks[0]
		if !st.Alive || !c.HasRun || !c.LastOK {
			t.Errorf("%v: alive %v, ran %v, ok %v (%s); a wait for a slot must not fail a check", st.Addr, st.Alive, c.HasRun, c.LastOK, c.LastError)
		}
	}
	for len(events) > 0 {
		if e := <-events; !e.Initial {
			t.Errorf("unexpected event %v %v", e.Type, e.RealServer)
		}
	}
}

// TestSchedulerUpdateDropsWaitingProbe: a probe waiting for a slot when a reload removes it
// never runs.
func TestSchedulerUpdateDropsWaitingProbe(t *testing.T) {
	clk := clocktest.New(t0)
	g := &gauge{}
	started := make(chan string, 100)
	tm := Timing{DelayLoop: time.Minute}
	gates := map[string]*gateChecker{}
	mk := func(names ...string) []VirtualServer {
		var rss []RealServer
		for _, name := range names {
			port := map[string]uint16{"x": 80, "y": 81, "z": 82}[name]
			rss = append(rss, RealServer{Addr: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), port), Weight: 1,
				Checks: []Check{{Spec: fakeSpec{name: name, chk: gates[name]}, Timing: tm}}})
		}
		return []VirtualServer{{Name: "vs", Quorum: 1, RealServers: rss}}
	}
	for _, name := range []string{"x", "y", "z"} {
		gates[name] = newGateChecker(name, clk, time.Hour, g, started)
	}
	s, err := New(mk("x", "y", "z"), Options{Clock: clk, MaxJitter: -1, MaxInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	running := <-started
	var keep, drop string
	for _, n := range []string{"x", "y", "z"} {
		switch {
		case n == running:
		case keep == "":
			keep = n
		default:
			drop = n
		}
	}
	if err := s.Update(mk(running, keep)); err != nil {
		t.Fatal(err)
	}
	gates[running].release <- struct{}{}
	if got := <-started; got != keep {
		t.Errorf("probe %q ran next, want %q", got, keep)
	}
	gates[keep].release <- struct{}{}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(started)
	for name := range started {
		t.Errorf("probe %q ran; %q was dropped while waiting and %q ran already", name, drop, keep)
	}
}

// waitStatus polls Status until ok: results are applied by Run's goroutine, which reports no
// event for a check that stays up.
func waitStatus(t *testing.T, s *Scheduler, ok func([]Status) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if ok(s.Status()) {
			return
		}
	}
	t.Fatalf("status never reached the expected state: %+v", s.Status())
}

//go:build vmtest

package vm

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/vrrp"
)

// The reference scenario end to end with two `halvs run` directors: the election, wrr over
// both real servers, a real server taken out by its tcp_check and brought back, the master
// killed and the backup taking over, the master returning and preempting. `make demo` runs it
// on the seed as it is and narrates it (TestDemo); TestDirectorScenario runs it with quicker
// checks and inhibit_on_failure. Both assert the same things.

// scenarioSpec is what differs between the two runs.
type scenarioSpec struct {
	confA, confB string
	// detectBound is healthcheck's Timing.DetectionBound for the checker, and detectExpr the
	// same in words; restoreBound is delay_loop + connect_timeout (the next check finds the
	// server back).
	detectBound, restoreBound time.Duration
	detectExpr                string
	inhibit                   bool          // inhibit_on_failure: weight 0 instead of removal
	masterDown                time.Duration // B's master_down_interval: 3 × advert_int + skew
	spread                    int           // requests counted for the wrr step
}

// scenario is one run: the two directors, the client's poller and the narration.
type scenario struct {
	t      *testing.T
	spec   scenarioSpec
	say    func(string)
	t0     time.Time
	a, b   *halvsd
	client *prober
	checks int
	failed []string
}

// note narrates one line, stamped with the time since the scenario started.
func (s *scenario) note(format string, args ...any) {
	s.say(fmt.Sprintf("[%5.1fs] ", time.Since(s.t0).Seconds()) + fmt.Sprintf(format, args...))
}

// check narrates one verified fact with its outcome; a false one fails the test.
func (s *scenario) check(ok bool, format string, args ...any) bool {
	s.t.Helper()
	s.checks++
	msg := fmt.Sprintf(format, args...)
	if ok {
		s.note("%s  [ok]", msg)
	} else {
		s.note("%s  [FAIL]", msg)
		s.failed = append(s.failed, msg)
		s.t.Errorf("%s", msg)
	}
	return ok
}

// require is check for a fact the next steps build on: without it the run stops.
func (s *scenario) require(ok bool, format string, args ...any) {
	s.t.Helper()
	if !s.check(ok, format, args...) {
		s.t.FailNow()
	}
}

// verdict is the one-line summary of the run.
func (s *scenario) verdict() string {
	took := time.Since(s.t0).Round(100 * time.Millisecond)
	if len(s.failed) == 0 && !s.t.Failed() {
		return fmt.Sprintf("verdict: PASS - %d checks in %v: election, wrr, health check out and back, takeover, preemption", s.checks, took)
	}
	if len(s.failed) == 0 {
		return fmt.Sprintf("verdict: FAIL - the run stopped after %d checks (%v); see the full log", s.checks, took)
	}
	return fmt.Sprintf("verdict: FAIL - %d of %d checks failed (%v), first: %s", len(s.failed), s.checks, took, s.failed[0])
}

func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

// elapsed is "after 3.2 s" from from to at, or "never" when the event did not come (ok false).
func elapsed(ok bool, from, at time.Time) string {
	if !ok {
		return "never"
	}
	return "after " + secs(at.Sub(from))
}

// destKey is how parseDests names real server rs of the VIP's service.
func destKey(rs host) string { return fmt.Sprintf("TCP %s:80 -> %s:80", vip, rs.addr) }

// wantTable is the table every director should hold: both real servers at weight 3, except
// down, which is absent (or at weight 0 with inhibit_on_failure).
func (s *scenario) wantTable(down *host) map[string]dest {
	want := map[string]dest{}
	for _, rs := range realServers {
		switch {
		case down == nil || *down != rs:
			want[destKey(rs)] = dest{Forward: "Route", Weight: 3}
		case s.spec.inhibit:
			want[destKey(rs)] = dest{Forward: "Route", Weight: 0}
		}
	}
	return want
}

// waitTable polls director h's IPVS table until it is want (weights and methods) and says
// whether it got there within limit, with the table it saw last.
func waitTable(t *testing.T, h host, want map[string]dest, limit time.Duration) (string, bool) {
	deadline := time.Now().Add(limit)
	for {
		out, err := nsRunErr(h.ns, "ipvsadm -Ln")
		if err == nil && cmpDests(want, parseDests(t, out)) == "" {
			return out, true
		}
		if time.Now().After(deadline) {
			return out, false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tables waits for want on both directors and checks it, narrating what.
func (s *scenario) tables(what string, want map[string]dest, limit time.Duration) {
	s.t.Helper()
	for _, d := range []*halvsd{s.a, s.b} {
		got, ok := waitTable(s.t, d.host, want, limit)
		if !s.check(ok, "IPVS on %s: %s", d.name, what) {
			s.t.Logf("director %s's table:\n%s", d.name, got)
		}
	}
}

// holdsVIP reports whether director h has the VIP on eth0.
func holdsVIP(h host) bool {
	out, _ := nsRunErr(h.ns, "ip -o -4 addr show dev eth0")
	return strings.Contains(out, " "+vip.String()+"/32 ")
}

// describe is a tally as "rs1 15, rs2 15, failed 0".
func describe(c tally) string {
	return fmt.Sprintf("rs1 %d, rs2 %d, failed %d", c["rs1"], c["rs2"], c["FAIL"])
}

// runScenario runs the whole scenario on the lab.
func runScenario(t *testing.T, spec scenarioSpec, say func(string)) {
	freshDirectors(t) // first, so that it runs after the directors have stopped
	s := &scenario{t: t, spec: spec, say: say, t0: time.Now()}
	defer func() { say(s.verdict()) }()
	dir := t.TempDir()
	// The directors' own logs go into the test's output (the full log), not the narration.
	defer func() {
		for _, d := range []*halvsd{s.a, s.b} {
			if d != nil {
				t.Logf("director %s's log (halvs run -c %s):\n%s", d.name, d.conf, d.tail(200))
			}
		}
	}()

	// The election. Both start together; A (state MASTER, priority 150) should win.
	s.b = startHalvs(t, "B", dirB, spec.confB, dir+"/director-b.log")
	s.a = startHalvs(t, "A", dirA, spec.confA, dir+"/director-a.log")
	s.note("started halvs run on A (%s) and B (%s)", dirA.addr, dirB.addr)
	tA, okA := s.a.waitFor(s.t0, 20*time.Second, stateWords("MASTER")...)
	tB, okB := s.b.waitFor(s.t0, 20*time.Second, stateWords("BACKUP")...)
	if !okA || !okB {
		t.Logf("director A's log:\n%s\ndirector B's log:\n%s", s.a.tail(30), s.b.tail(30))
	}
	s.require(okA && okB && holdsVIP(dirA) && !holdsVIP(dirB),
		"election: A MASTER %s, B BACKUP %s; VIP %s on A only", elapsed(okA, s.t0, tA), elapsed(okB, s.t0, tB), vip)
	s.tables(fmt.Sprintf("TCP %s:80 wrr DR, %s and %s at weight 3", vip, rs1.addr, rs2.addr), s.wantTable(nil), 15*time.Second)
	if _, ok := s.b.find(s.t0, stateWords("MASTER")...); ok {
		s.check(false, "B never became MASTER while A was up")
	}

	// wrr: the client polls from now on, one new connection per request.
	s.client = startProber(t, 200*time.Millisecond)
	from := time.Now()
	c := count(s.client.waitCount(t, from, spec.spread, 60*time.Second))
	s.check(c["FAIL"] == 0 && 3*c["rs1"] >= spec.spread && 3*c["rs2"] >= spec.spread,
		"client: %d requests to http://%s/ spread by wrr (3:3): %s", spec.spread, vip, describe(c))

	s.healthOutAndBack()
	s.takeover()
	s.preempt()
}

// healthOutAndBack stops httpd on rs1, waits for its tcp_check to take it out, starts it and
// waits for it to come back.
func (s *scenario) healthOutAndBack() {
	t := s.t
	stopped := stopHTTPD(t, rs1)
	s.note("stopped httpd on %s (kill -9)", rs1.addr)
	limit := s.spec.detectBound + 10*time.Second
	dA, okA := s.a.waitFor(stopped, limit, healthWords("RealServerDown", rs1)...)
	dB, okB := s.b.waitFor(stopped, limit, healthWords("RealServerDown", rs1)...)
	s.require(okA && okB && dA.Sub(stopped) <= s.spec.detectBound && dB.Sub(stopped) <= s.spec.detectBound,
		"tcp_check: %s down on A %s, on B %s (bound %s = %s)",
		rs1.addr, elapsed(okA, stopped, dA), elapsed(okB, stopped, dB), secs(s.spec.detectBound), s.spec.detectExpr)
	gone := "removed"
	if s.spec.inhibit {
		gone = "weight 0 (inhibit_on_failure)"
	}
	s.tables(fmt.Sprintf("%s %s, %s at weight 3", rs1.addr, gone, rs2.addr), s.wantTable(&rs1), 5*time.Second)
	applied := time.Now()
	before := count(s.client.between(stopped, dA))
	after := s.client.waitCount(t, applied, 15, 30*time.Second)
	ca := count(after)
	why := ""
	if err := lastError(s.client.between(stopped, dA)); errors.Is(err, syscall.ECONNREFUSED) {
		why = fmt.Sprintf(" (refused: %s was still in the table)", rs1.addr)
	} else if err != nil {
		why = fmt.Sprintf(" (last: %v)", err)
	}
	s.note("client until detection: %s%s", describe(before), why)
	s.check(ca["FAIL"] == 0 && ca["rs2"] == len(after),
		"client after: %d of %d requests answered, all by rs2", ca["rs2"], len(after))

	started := startHTTPD(t, rs1)
	s.note("started httpd on %s again", rs1.addr)
	limit = s.spec.restoreBound + 10*time.Second
	uA, okA := s.a.waitFor(started, limit, healthWords("RealServerUp", rs1)...)
	uB, okB := s.b.waitFor(started, limit, healthWords("RealServerUp", rs1)...)
	s.require(okA && okB && uA.Sub(started) <= s.spec.restoreBound && uB.Sub(started) <= s.spec.restoreBound,
		"tcp_check: %s up on A %s, on B %s (bound %s = delay_loop + connect_timeout)",
		rs1.addr, elapsed(okA, started, uA), elapsed(okB, started, uB), secs(s.spec.restoreBound))
	s.tables(fmt.Sprintf("%s back at weight 3", rs1.addr), s.wantTable(nil), 5*time.Second)
	back := count(s.client.waitCount(t, time.Now(), 20, 30*time.Second))
	s.check(back["FAIL"] == 0 && back["rs1"] > 0 && back["rs2"] > 0, "client: 20 requests: %s", describe(back))
}

// takeover kills the master and watches the backup take the VIP over under traffic.
func (s *scenario) takeover() {
	t := s.t
	killed := s.a.kill(t)
	s.note("killed halvs on A (kill -9): no priority-0 advert, the VIP and table stay in A's kernel")
	tB, ok := s.b.waitFor(killed, 20*time.Second, stateWords("MASTER")...)
	took := tB.Sub(killed)
	// From the kill, B waits at most master_down_interval after A's last advert; the second
	// allowed on top is for timers on an emulated CPU.
	s.require(ok && took <= s.spec.masterDown+time.Second,
		"takeover: B MASTER %s from the kill (master_down_interval %s)", elapsed(ok, killed, tB), secs(s.spec.masterDown))
	settled := tB.Add(time.Second)
	after := s.client.waitCount(t, settled, 10, 30*time.Second)
	during := count(s.client.between(killed, settled))
	ca := count(after)
	macB := linkMAC(t, dirB.ns)
	s.check(holdsVIP(dirB) && neighMAC(t, client.ns, vip.String()) == macB,
		"VIP %s on B; the client's ARP entry for it is B's MAC %s", vip, macB)
	s.note("client from the kill to 1 s after the takeover: %s", describe(during))
	s.check(ca["FAIL"] == 0, "client after the takeover: %s", describe(ca))
}

// preempt restarts A and watches it take the VIP back (priority 150 > 100, preempt on).
func (s *scenario) preempt() {
	t := s.t
	restarted := time.Now()
	s.a.start(t)
	s.note("restarted halvs on A")
	tA, okA := s.a.waitFor(restarted, 20*time.Second, stateWords("MASTER")...)
	tB, okB := s.b.waitFor(restarted, 20*time.Second, stateWords("BACKUP")...)
	s.require(okA && okB, "preemption: A MASTER %s from its start, B BACKUP %s",
		elapsed(okA, restarted, tA), elapsed(okB, restarted, tB))
	settled := tA.Add(time.Second)
	if tB.After(tA) {
		settled = tB.Add(time.Second)
	}
	after := s.client.waitCount(t, settled, 10, 30*time.Second)
	macA := linkMAC(t, dirA.ns)
	s.check(holdsVIP(dirA) && !holdsVIP(dirB) && neighMAC(t, client.ns, vip.String()) == macA,
		"VIP %s on A only; the client's ARP entry for it is A's MAC %s", vip, macA)
	s.note("client across the preemption: %s", describe(count(s.client.between(restarted, settled))))
	ca := count(after)
	s.check(ca["FAIL"] == 0, "client after the preemption: %s", describe(ca))
	all := count(s.client.between(s.t0, time.Time{}))
	s.note("client in all: %d requests, %s", all["rs1"]+all["rs2"]+all["FAIL"], describe(all))
}

// specFrom reads the two director configs and derives the scenario's bounds from them: the
// check of rs1 on A, B's advert_int and priority.
func specFrom(t *testing.T, confA, confB string) scenarioSpec {
	t.Helper()
	load := func(path string) *config.Config {
		cfg, diags := config.Load(path)
		if cfg == nil {
			t.Fatalf("%s: %v", path, diags)
		}
		return cfg
	}
	cfgA, cfgB := load(confA), load(confB)
	spec := scenarioSpec{confA: confA, confB: confB, spread: 30}
	var rs *config.RealServer
	for i, vs := range cfgA.VirtualServers {
		for j := range vs.RealServers {
			if vs.Addr.Addr() == vip && vs.RealServers[j].Addr.Addr() == rs1.addr {
				rs = &cfgA.VirtualServers[i].RealServers[j]
			}
		}
	}
	if rs == nil || len(rs.Checkers) != 1 || rs.Checkers[0].Kind != healthcheck.KindTCP {
		t.Fatalf("%s: want real server %s of %s with one tcp_check", confA, rs1.addr, vip)
	}
	c := rs.Checkers[0]
	// The scheduler's own bound, so that the test and the code cannot drift apart.
	timing := healthcheck.Timing{DelayLoop: c.DelayLoop, Retry: c.Retry, DelayBeforeRetry: c.DelayBeforeRetry}
	spec.detectBound = timing.DetectionBound(c.ConnectTimeout)
	spec.detectExpr = fmt.Sprintf("delay_loop %v + retry %d x delay_before_retry %v + %d x connect_timeout %v",
		c.DelayLoop, c.Retry, c.DelayBeforeRetry, c.Retry+1, c.ConnectTimeout)
	spec.restoreBound = c.DelayLoop + c.ConnectTimeout
	spec.inhibit = rs.InhibitOnFailure
	if len(cfgB.VRRPInstances) != 1 {
		t.Fatalf("%s: want one vrrp_instance", confB)
	}
	in := cfgB.VRRPInstances[0]
	spec.masterDown = vrrp.MasterDownInterval(uint8(in.Version), uint8(in.Priority), in.AdvertInt)
	return spec
}

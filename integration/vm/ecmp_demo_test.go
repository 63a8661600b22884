//go:build vmtest

package vm

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// ecmpDrainTime is the demo's drain_time, the example.
const ecmpDrainTime = 5

// ecmpProbeTimeout bounds each of the demo's requests. A request takes about a second
// under emulation on a busy host, where the reference demo's 1 s would count slowness as
// failure; a request that is really lost (sent to a dead director) still fails.
const ecmpProbeTimeout = 5 * time.Second

// TestDemoECMP is `make demo-ecmp` (HALVS_DEMO=ecmp, set by scripts/demo-ecmp.sh): the
// reference scenario's real servers behind three halvs directors that announce the VIP with
// BGP to a BIRD router doing ECMP, narrated: the sessions, the three next hops, requests and
// streams spread over the directors, one director drained (no request fails), one whose
// machine dies (requests fail only until the router drops it, the streams through the others
// go on, its own streams continue through another director), and that one back.
func TestDemoECMP(t *testing.T) {
	if os.Getenv("HALVS_DEMO") != "ecmp" {
		t.Skip("the narrated active-active demo runs under make demo-ecmp (HALVS_DEMO=ecmp)")
	}
	say := func(line string) { fmt.Fprintln(os.Stdout, demoMark+line) }
	ecmpLab(t)
	startEchoServers(t)
	s := &scenario{t: t, say: say, t0: time.Now()}
	defer func() { say(ecmpVerdict(s)) }()
	say(fmt.Sprintf("lab: client %s behind router %s / %s (BIRD 2: eBGP AS %d, ECMP with `merge paths on`,",
		eclient.addr, routerUp, router.addr, routerASN))
	say("     fib_multipath_hash_policy=1: the L4 hash); directors A, B, C (halvs run, AS " + fmt.Sprint(directorAS) + ",")
	say(fmt.Sprintf("     %s, %s, %s: mh with mh-port, sloppy_tcp, DR, hold_time %v, drain_time %d s);",
		dirA.addr, dirB.addr, dirC.addr, ecmpHoldTime, ecmpDrainTime))
	say(fmt.Sprintf("     real servers rs1 %s, rs2 %s (VIP %s on lo): HTTP on 80, a line echo on %d",
		rs1.addr, rs2.addr, vip, echoPort))

	r := startRouter(t)
	ds := startECMPDirectors(t, ecmpDrainTime)
	defer func() {
		for _, d := range ds {
			t.Logf("director %s's log:\n%s", d.name, d.tail(200))
		}
		b, _ := os.ReadFile(r.log)
		t.Logf("bird's log:\n%s", b)
	}()
	s.note("started BIRD on the router and halvs run on A, B and C")
	var up []string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if up = r.established(t); len(up) == len(ecmpDirs) {
			break
		}
	}
	s.require(len(up) == len(ecmpDirs), "BGP sessions Established on the router: %s", strings.Join(up, ", "))
	_, ok := waitNextHops(t, 60*time.Second, ecmpDirs...)
	s.require(ok, "the router's kernel route to %s: next hops %v (one per director)", vip, nextHops(t))

	streams, on := streamsOnEvery(t, ds)
	s.note("%d line-echo streams open (one every 100 ms each): %s", len(streams), streamMap(streams, on))

	p := startProberIn(t, eclient.ns, 100*time.Millisecond, ecmpProbeTimeout)
	s.spread(p, ds, ds, 30)

	s.drain(p, ds, streams)
	s.crash(p, ds, streams, on)

	// C back.
	back := time.Now()
	ds[2].start(t)
	at, ok := waitNextHops(t, 60*time.Second, ecmpDirs...)
	s.check(ok, "C restarted: the router has three next hops again %s", elapsed(ok, back, at))
	s.spread(p, ds, ds, 30)
	alive := 0
	for _, st := range streams {
		st.waitLines(t, 5, 30*time.Second)
		alive++
	}
	s.check(alive == len(streams), "all %d streams still echoing, none reset from start to end", alive)
	for _, st := range streams {
		st.close(t)
	}
}

// spread makes n requests and checks that each of want handled some (IPVS' connection
// counters per director) and none failed.
func (s *scenario) spread(p *prober, ds, want []ecmpDirector, n int) {
	s.t.Helper()
	before := httpConns(s.t, ds)
	reqs := p.waitCount(s.t, time.Now(), n, 120*time.Second)
	time.Sleep(2500 * time.Millisecond) // the kernel folds its counters in every 2 s
	after := httpConns(s.t, ds)
	var parts []string
	ok := count(reqs)["FAIL"] == 0
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s %d", d.name, after[d.name]-before[d.name]))
	}
	for _, d := range want {
		ok = ok && after[d.name] > before[d.name]
	}
	s.check(ok, "client: %d requests to http://%s/, %d failed%s; new connections meanwhile by director: %s",
		n, vip, count(reqs)["FAIL"], why(reqs), strings.Join(parts, ", "))
}

// drain drains B: its next hop goes, no request fails, every stream goes on; then undrain.
func (s *scenario) drain(p *prober, ds []ecmpDirector, streams []*echoStream) {
	s.t.Helper()
	b := ds[1]
	from := time.Now()
	b.control(s.t, "drain")
	at, ok := waitNextHops(s.t, 30*time.Second, dirA, dirC)
	s.check(ok, "halvs drain on B: the router dropped B's next hop %s", elapsed(ok, from, at))
	time.Sleep(ecmpDrainTime*time.Second + ecmpProbeTimeout)
	reqs := p.between(from, time.Now().Add(-ecmpProbeTimeout))
	c := count(reqs)
	s.check(c["FAIL"] == 0 && len(reqs) > 0, "%d requests during the withdrawal and drain_time, %d failed%s",
		len(reqs), c["FAIL"], why(reqs))
	for _, st := range streams {
		st.waitLines(s.t, 3, 20*time.Second)
	}
	s.check(true, "every stream still echoing, B's too: the router moved them to A or C (mh + sloppy_tcp)")
	from = time.Now()
	b.control(s.t, "undrain")
	at, ok = waitNextHops(s.t, 30*time.Second, ecmpDirs...)
	s.check(ok, "halvs undrain on B: three next hops again %s", elapsed(ok, from, at))
}

// crash makes C's machine die and checks what the issue promises.
func (s *scenario) crash(p *prober, ds []ecmpDirector, streams []*echoStream, on map[*echoStream]ecmpDirector) {
	s.t.Helper()
	c := ds[2]
	before := map[*echoStream]int{}
	for _, st := range streams {
		before[st] = st.echoed()
	}
	crashed := c.crash(s.t)
	s.note("C's machine dies: halvs frozen, its link down, halvs killed (nothing tells the router)")
	dropped, ok := waitNextHops(s.t, ecmpHoldTime+30*time.Second, dirA, dirB)
	s.require(ok, "the router dropped C's next hop %s (hold_time %v)", elapsed(ok, crashed, dropped), ecmpHoldTime)
	var untouched, total int
	for _, st := range streams {
		if on[st].name != c.name {
			total++
			if st.echoed() > before[st] {
				untouched++
			}
		}
	}
	s.check(untouched == total, "%d of %d streams through A and B echoed on while the router still sent to C", untouched, total)
	for _, st := range streams {
		st.waitLines(s.t, 5, 30*time.Second)
	}
	var fromC []*echoStream
	for _, st := range streams {
		if on[st].name == c.name {
			fromC = append(fromC, st)
		}
	}
	moved := carriers(s.t, ds[:2], fromC)
	var where []string
	for _, st := range fromC {
		if len(moved[st]) > 0 {
			where = append(where, st.name+" via "+moved[st][0].name)
		}
	}
	s.check(len(moved) == len(fromC), "C's %d streams resumed through another director: %s", len(fromC), strings.Join(where, ", "))
	time.Sleep(ecmpProbeTimeout) // the requests that started before now have ended
	reqs := p.between(crashed, time.Now().Add(-ecmpProbeTimeout))
	var late []string
	failed := 0
	for _, r := range reqs {
		if r.err != nil {
			failed++
			if r.at.After(dropped.Add(500 * time.Millisecond)) {
				late = append(late, fmt.Sprintf("%.1f s after the withdrawal: %v", r.at.Sub(dropped).Seconds(), r.err))
			}
		}
	}
	s.check(len(late) == 0, "%d of %d requests since the crash failed (only until the router dropped C)%s",
		failed, len(reqs), strings.Join(append([]string{""}, late...), "; "))
}

// why is ": " and the last failed request's error, or "" when none failed.
func why(reqs []request) string {
	if err := lastError(reqs); err != nil {
		return " (last: " + err.Error() + ")"
	}
	return ""
}

// httpConns is each director's count of connections to VIP:80 so far.
func httpConns(t *testing.T, ds []ecmpDirector) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	prefix := fmt.Sprintf("TCP %s:80 -> ", vip)
	for _, d := range ds {
		for key, st := range ipvsStats(t, d.host.ns) {
			if strings.HasPrefix(key, prefix) {
				out[d.name] += st.Conns
			}
		}
	}
	return out
}

// streamMap is "A: s1 s4, B: s2, C: s3".
func streamMap(streams []*echoStream, on map[*echoStream]ecmpDirector) string {
	by := map[string][]string{}
	for _, st := range streams {
		by[on[st].name] = append(by[on[st].name], st.name)
	}
	var names []string
	for n := range by {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, n+": "+strings.Join(by[n], " "))
	}
	return strings.Join(parts, ", ")
}

// ecmpVerdict is the demo's one-line summary.
func ecmpVerdict(s *scenario) string {
	took := time.Since(s.t0).Round(100 * time.Millisecond)
	switch {
	case len(s.failed) == 0 && !s.t.Failed():
		return fmt.Sprintf("verdict: PASS - %d checks in %v: BGP sessions, ECMP over three directors, drain, a director lost and back", s.checks, took)
	case len(s.failed) == 0:
		return fmt.Sprintf("verdict: FAIL - the run stopped after %d checks (%v); see the full log", s.checks, took)
	}
	return fmt.Sprintf("verdict: FAIL - %d of %d checks failed (%v), first: %s", len(s.failed), s.checks, took, s.failed[0])
}

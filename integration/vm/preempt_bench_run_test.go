//go:build vmtest

package vm

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// benchImpl is one daemon TestPreemptBench compares: start runs director name ("A", "B") on
// host h from the keepalived.conf text kconf, with net.ipv4.vs.sloppy_tcp on when sloppy.
type benchImpl struct {
	name  string
	start func(t *testing.T, dir, name string, h host, kconf string, sloppy bool) daemon
}

func benchImpls() []benchImpl {
	return []benchImpl{
		{name: "halvs", start: startConvertedHalvs},
		{name: "keepalived", start: func(t *testing.T, dir, name string, h host, kconf string, sloppy bool) daemon {
			conf := writeBenchFile(t, dir, "keepalived-"+name+".conf", kconf)
			pre := ""
			if sloppy {
				pre = "echo 1 >/proc/sys/net/ipv4/vs/sloppy_tcp"
			}
			return startKeepalived(t, name, h, conf, filepath.Join(dir, "keepalived-"+name+".log"), pre)
		}},
	}
}

// startConvertedHalvs runs `halvs convert` on kconf and `halvs run` on its output; sloppy
// adds lvs_sloppy_tcp, which keepalived 2.2.7 does not know.
func startConvertedHalvs(t *testing.T, dir, name string, h host, kconf string, sloppy bool) daemon {
	t.Helper()
	conf := writeBenchFile(t, dir, "keepalived-"+name+".conf", kconf)
	out, err := exec.Command(halvsBin(), "convert", conf).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		t.Fatalf("halvs convert %s: %v", conf, err)
	}
	hcl := string(out)
	if sloppy {
		if !strings.Contains(hcl, "global {\n") {
			t.Fatalf("halvs convert wrote no global block:\n%s", hcl)
		}
		hcl = strings.Replace(hcl, "global {\n", "global {\n  lvs_sloppy_tcp = true\n", 1)
	}
	return startHalvs(t, name, h, writeBenchFile(t, dir, "director-"+name+".hcl", hcl), filepath.Join(dir, "halvs-"+name+".log"))
}

func writeBenchFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// benchKeepalivedConf is issue 11's keepalived.conf for director A (master: priority 150) or
// B (100): VRRPv3 at 100 ms, the seed's web service and the line-echo service, DR, sched,
// one-second TCP checks, and with sync keepalived's IPVS sync daemon on eth0 for VI_1.
func benchKeepalivedConf(master, sync bool, sched string) string {
	state, prio := "BACKUP", 100
	if master {
		state, prio = "MASTER", 150
	}
	syncLine := ""
	if sync {
		syncLine = "   lvs_sync_daemon eth0 VI_1\n"
	}
	var vs strings.Builder
	for _, port := range []int{80, echoPort} {
		fmt.Fprintf(&vs, "\nvirtual_server %s %d {\n    delay_loop 1\n    lb_algo %s\n    lb_kind DR\n    protocol TCP\n", vip, port, sched)
		for _, rs := range realServers {
			fmt.Fprintf(&vs, "    real_server %s %d {\n        weight 3\n        TCP_CHECK {\n            connect_timeout 1\n        }\n    }\n", rs.addr, port)
		}
		vs.WriteString("}\n")
	}
	return fmt.Sprintf(`global_defs {
   router_id LVS_DEVEL
   vrrp_version 3
%s}

vrrp_instance VI_1 {
    state %s
    interface eth0
    virtual_router_id 51
    priority %d
    advert_int 0.1
    virtual_ipaddress {
        %s/32
    }
}
%s`, syncLine, state, prio, vip, vs.String())
}

// benchPair is the two directors of one run of TestPreemptBench.
type benchPair struct{ a, b daemon }

// startBenchPair gives both directors fresh namespaces, starts A until MASTER, then B until
// BACKUP, and waits for both tables.
func startBenchPair(t *testing.T, im benchImpl, sync bool, sched string) *benchPair {
	t.Helper()
	rebuildDirector(t, dirA)
	rebuildDirector(t, dirB)
	nsRunErr(client.ns, "ip neigh flush all")
	dir := t.TempDir()
	sloppy := !sync && sched == "mh"
	t0 := time.Now()
	p := &benchPair{}
	p.a = im.start(t, dir, "A", dirA, benchKeepalivedConf(true, sync, sched), sloppy)
	p.a.waitState(t, t0, 30*time.Second, "MASTER")
	p.b = im.start(t, dir, "B", dirB, benchKeepalivedConf(false, sync, sched), sloppy)
	p.b.waitState(t, t0, 30*time.Second, "BACKUP")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("director A's log:\n%s\ndirector B's log:\n%s", p.a.tail(60), p.b.tail(60))
		}
	})
	want := map[string]dest{}
	for _, rs := range realServers {
		for _, port := range []int{80, echoPort} {
			want[fmt.Sprintf("TCP %s:%d -> %s:%d", vip, port, rs.addr, port)] = dest{Forward: "Route", Weight: 3}
		}
	}
	for _, d := range []host{dirA, dirB} {
		if got, ok := waitTable(t, d, want, 20*time.Second); !ok {
			t.Fatalf("IPVS table on %s:\n%s", d.ns, got)
		}
	}
	return p
}

// crashA freezes A, takes its link down, kills it, waits for B to take over and rebuilds
// A's namespace (a reboot: no table, no connections, no VIP). It returns when the crash
// began and when B entered MASTER.
func (p *benchPair) crashA(t *testing.T) (at, moved time.Time) {
	t.Helper()
	at = time.Now()
	p.a.freeze()
	nsRun(t, dirA.ns, "ip link set eth0 down")
	p.a.kill(t)
	moved = p.b.waitState(t, at, 20*time.Second, "MASTER")
	rebuildDirector(t, dirA)
	return at, moved
}

// returnA starts A again and waits until it has preempted B; it returns when A was started
// and when it entered MASTER.
func (p *benchPair) returnA(t *testing.T) (at, moved time.Time) {
	t.Helper()
	at = time.Now()
	p.a.start(t)
	moved = p.a.waitState(t, at, 30*time.Second, "MASTER")
	p.b.waitState(t, at, 10*time.Second, "BACKUP")
	return at, moved
}

// streams opens n line-echo streams from the client.
func (p *benchPair) streams(t *testing.T, what string, n int) []*echoStream {
	t.Helper()
	var out []*echoStream
	for i := 1; i <= n; i++ {
		out = append(out, openEchoStream(t, client.ns, fmt.Sprintf("%s #%d", what, i)))
	}
	return out
}

// preemptSyncRun: with the sync daemon (wrr), the client's outage over A's crash, A's return
// and preemption, and A's graceful stop; streams opened through A over the crash and the
// preemption, streams opened through B over the preemption.
func preemptSyncRun(t *testing.T, im benchImpl, f *benchFigures) {
	p := startBenchPair(t, im, true, "wrr")
	http := startProberIn(t, client.ns, 13*time.Millisecond, benchProbeTimeout)
	s1 := p.streams(t, "through A", 2)
	if !synced(dirB, s1, 10*time.Second) {
		t.Logf("%s: B's connection table did not hold every stream through A within 10 s", im.name)
	}
	before := aliveNow(s1)
	at, moved := p.crashA(t)
	f.crash = append(f.crash, outageOver(t, http, at, moved, "crash"))
	f.crashStreams.over(s1, before, 10)
	s2 := p.streams(t, "through B", 2)
	before1, before2 := aliveNow(s1), aliveNow(s2)
	at, moved = p.returnA(t)
	f.preemptAfter = append(f.preemptAfter, moved.Sub(at))
	f.preempt = append(f.preempt, outageOver(t, http, at, moved, "return and preemption"))
	f.sameStreams.over(s1, before1, 20)
	f.bStreams.over(s2, before2, 20)
	at = time.Now()
	p.a.term(t)
	moved = p.b.waitState(t, at, 20*time.Second, "MASTER")
	f.graceful = append(f.graceful, outageOver(t, http, at, moved, "graceful stop"))
	http.halt()
	if benchTrace {
		t.Logf("%s sync run, director A's log:\n%s\ndirector B's log:\n%s", im.name, p.a.tail(80), p.b.tail(80))
	}
	for _, s := range append(s1, s2...) {
		s.end()
	}
}

// preemptNoSyncRun: without the sync daemon, streams opened through A over A's crash and
// its return and preemption, under sched (mh: with sloppy_tcp).
func preemptNoSyncRun(t *testing.T, im benchImpl, sched string, c *survival) {
	p := startBenchPair(t, im, false, sched)
	s := p.streams(t, "through A, no sync, "+sched, 2)
	p.crashA(t)
	var crash, back survival
	alive := crash.over(s, s, 10)
	p.returnA(t)
	back.over(alive, alive, 20)
	c.of += len(s)
	c.ok += back.ok
	for _, st := range s {
		st.end()
	}
}

// settle is how long after a move the client's requests still count towards its outage.
const settle = 3 * time.Second

// benchProbeTimeout bounds each of the client's requests: the outage is measured to the
// first answered request, so a request sent into the void must give up well within
// Master_Down_Interval's order (a lost SYN is retried only after 1 s) for the figure to
// resolve the move rather than the timeout.
const benchProbeTimeout = 250 * time.Millisecond

// benchTrace (HALVS_VM_PREEMPT_BENCH's trace=1) logs each move's requests and the daemons'
// logs: what to read when a figure surprises.
var benchTrace bool

// outageOver waits until settle after a move that began at from and ended (new MASTER) at
// to, and measures the client's outage over it from the prober's records.
func outageOver(t *testing.T, http *prober, from, to time.Time, what string) moveOutage {
	t.Helper()
	end := to.Add(settle)
	time.Sleep(time.Until(end))
	if benchTrace {
		var sb strings.Builder
		for _, r := range http.between(from.Add(-time.Second), end) {
			if r.err != nil {
				fmt.Fprintf(&sb, "  %+.3fs FAIL %v\n", r.at.Sub(from).Seconds(), r.err)
			}
		}
		t.Logf("%s at %s, new MASTER %+.3fs; client's neighbour for the VIP %q (A %s, B %s); %s; failed requests:\n%s",
			what, from.Format("15:04:05.000"), to.Sub(from).Seconds(), strings.TrimSpace(nsRun(t, client.ns, "ip neigh show "+vip.String())),
			linkMAC(t, dirA.ns), linkMAC(t, dirB.ns), describe(count(http.between(from.Add(-time.Second), end))), sb.String())
	}
	return outageOf(http.between(from.Add(-time.Second), end), from.Add(-time.Second), end)
}

// outageOf measures an outage in the requests that started in [begin, end). With failed
// requests: from the start of the last answered request before the first failure to the
// start of the first answered one after the last failure, answers in between included (one
// disruption: an answer between two resets does not end it). Without: the longest gap
// between the starts of two successive requests (a stall).
func outageOf(reqs []request, begin, end time.Time) moveOutage {
	var o moveOutage
	first, last := -1, -1
	for i, r := range reqs {
		if r.err != nil {
			if first < 0 {
				first = i
			}
			last = i
			o.failed++
		}
	}
	if first < 0 {
		prev := begin
		for _, r := range reqs {
			o.gap = max(o.gap, r.at.Sub(prev))
			prev = r.at
		}
		return o
	}
	start, stop := begin, end
	if first > 0 {
		start = reqs[first-1].at
	}
	if last+1 < len(reqs) {
		stop = reqs[last+1].at
	} else {
		o.open = true
	}
	o.gap = stop.Sub(start)
	return o
}

// over counts, of streams (all) and those of them alive before an event (before), which
// echo lines more lines after it (a reset or a stall of the stream's 10 s deadline ends
// one); it returns the survivors.
func (c *survival) over(all, before []*echoStream, lines int) []*echoStream {
	c.gone += len(all) - len(before)
	var alive []*echoStream
	for _, s := range before {
		c.of++
		if s.survives(lines, 15*time.Second) {
			c.ok++
			alive = append(alive, s)
		}
	}
	return alive
}

// aliveNow returns the streams that have not broken.
func aliveNow(streams []*echoStream) []*echoStream {
	var out []*echoStream
	for _, s := range streams {
		s.mu.Lock()
		if s.err == nil {
			out = append(out, s)
		}
		s.mu.Unlock()
	}
	return out
}

// survives is waitLines that reports: whether s echoed n more lines within limit.
func (s *echoStream) survives(n int, limit time.Duration) bool {
	s.mu.Lock()
	want := s.lines + n
	s.mu.Unlock()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		s.mu.Lock()
		lines, err := s.lines, s.err
		s.mu.Unlock()
		if err != nil {
			return false
		}
		if lines >= want {
			return true
		}
	}
	return false
}

// end stops the stream's lines and closes it, whatever its state.
func (s *echoStream) end() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.conn.Close()
	<-s.done
}

// synced reports whether director d's connection table held an ESTABLISHED entry for each
// of streams within limit, polled inside its namespace.
func synced(d host, streams []*echoStream, limit time.Duration) bool {
	var checks []string
	for _, s := range streams {
		checks = append(checks, fmt.Sprintf(`echo "$out" | grep -qE 'ESTABLISHED +%s +%s:%d '`,
			regexp.QuoteMeta(s.local), regexp.QuoteMeta(vip.String()), echoPort))
	}
	_, err := nsRunErr(d.ns, fmt.Sprintf(`i=0
while [ $i -lt %d ]; do
  out=$(ipvsadm -Lnc)
  if %s; then exit 0; fi
  i=$((i+1)); sleep 0.2
done
exit 1`, int(limit/(200*time.Millisecond)), strings.Join(checks, " && ")))
	return err == nil
}

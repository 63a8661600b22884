//go:build vmtest

package vm

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echoPort is the line-echo service the streams use: VIP:7 → rs1/rs2:7, DR.
const echoPort = 7

// preemptEdits turns the seed into TestPreemptKeepsStreams' directors: VRRPv3 at 100 ms,
// and either the sync daemon (with halvs' default lvs_sync_preempt_delay of 5 s) or, without
// it, sloppy_tcp.
func preemptEdits(withSync bool, sched string) []string {
	global := `router_id = "LVS_DEVEL"
  vrrp_version = 3`
	if withSync {
		global += `
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }`
	} else {
		global += `
  lvs_sloppy_tcp = true`
	}
	echo := fmt.Sprintf(`virtual_server "10.10.10.22:%[1]d" {
  delay_loop = 1
  lb_algo    = %[2]q
  lb_kind    = "DR"
  protocol   = "TCP"
  real_server "10.10.10.31:%[1]d" {
    weight = 3
    tcp_check {
      connect_timeout = 1
    }
  }
  real_server "10.10.10.32:%[1]d" {
    weight = 3
    tcp_check {
      connect_timeout = 1
    }
  }
}

virtual_server "10.10.10.22:80" {`, echoPort, sched)
	return append(append([]string{}, quickChecks...),
		`router_id = "LVS_DEVEL"`, global,
		`advert_int        = 1 #`, `advert_int        = "100ms" #`,
		// RFC 5798 has no authentication in VRRPv3.
		"  authentication {\n    auth_type = \"PASS\"\n    auth_pass = \"1111\"\n  }\n", "",
		`virtual_server "10.10.10.22:80" {`, echo,
		`lb_algo             = "wrr"`, fmt.Sprintf(`lb_algo             = %q`, sched))
}

// TestPreemptKeepsStreams: issue 11's scenario with halvs as both directors, VRRPv3 at 100 ms,
// DR, two real servers, the client's HTTP requests (a new connection every ~13 ms) and
// line-echo streams (a line every 100 ms). With the sync daemon (wrr): a stream opened
// through A survives A's crash (process frozen, link down, killed, namespace rebuilt as after
// a reboot), A's return and preemption (held until its table has caught up), A's graceful
// stop and its return again; so does a stream opened through B while A was down; no HTTP
// request fails while A returns and preempts (lvs_handover_accept hands what A does not know
// back to B); the first request after each move's GARPs reached the client succeeds;
// neither director takes the VIP at any other time. Figures (failures with
// HALVS_VM_PREEMPT_STRICT=1): the VIP reaches B within Master_Down_Interval + 20 ms of A's
// last advert (crash) and within Skew_Time + 20 ms of its priority-0 advert (graceful), as
// B's own capture of those adverts stamps them. Without the sync daemon, with
// lvs_sloppy_tcp and mh, a stream survives the crash and the preemption too.
func TestPreemptKeepsStreams(t *testing.T) {
	lab(t)
	freshDirectors(t)
	startEchoServers(t)

	t.Run("sync", func(t *testing.T) {
		// Under qemu's software emulation the one vCPU runs the client, the streams, the
		// captures and both directors: a director's VIP add lands 20 to 60 ms after its
		// state change (moveWithin logs both), so the move times are figures;
		// HALVS_VM_PREEMPT_STRICT=1 makes them fail the test too (issue 11).
		caps := []*advertCapture{captureAdverts(t, dirB), captureAdverts(t, dirA)}
		stalls := probeStalls(t)
		t0 := time.Now()
		p := startPair(t, preemptEdits(true, "wrr"))
		t.Cleanup(func() {
			if t.Failed() {
				explainTakeovers(t, p.b, t0, dirA, caps, stalls)
				explainTakeovers(t, p.a, t0, dirB, caps, stalls)
			}
		})
		// issue 11's client: a new HTTP connection every ~13 ms, in the test process (a
		// wget per request would cost the one emulated CPU more than both directors).
		http := startProber(t, 13*time.Millisecond)
		http.capture = captureClient(t)
		var checks []error // the client's: judged at the end, knowing whether the guest starved a master
		s1 := p.stream(t, "s1 (through A)")
		waitConn(t, dirB, fmt.Sprintf("%s %s:%d", s1.local, vip, echoPort), 15*time.Second)

		// Crash: B takes over within Master_Down_Interval of A's last advert.
		crashed := time.Now()
		p.crashA(t)
		toB := vipMoved(t, p.b, crashed)
		moveWithin(t, toB, lastAdvertBefore(t, caps[0], dirA, 1, 255, toB.added), masterDownB+moveSlack, "crash")
		checks = append(checks, firstRequestAfter(t, http, toB, "crash"))
		caps = append(caps, captureAdverts(t, dirA))
		s1.waitLines(t, 10, 10*time.Second)
		s2 := p.stream(t, "s2 (through B)")

		// A comes back (rebooted: empty table) and preempts once its table caught up.
		returned := time.Now()
		tA := p.returnA(t, true)
		toA := vipMoved(t, p.a, returned)
		t.Logf("A preempted %v after its restart", tA)
		checks = append(checks, firstRequestAfter(t, http, toA, "preemption after the crash"))
		s1.waitLines(t, 10, 10*time.Second)
		s2.waitLines(t, 10, 10*time.Second)
		checks = append(checks, requestsFailed(t, http, returned, time.Now(), "A's return and preemption after the crash"))

		// Graceful: A stops (priority 0), B takes over within Skew_Time of that advert.
		stopped := time.Now()
		p.a.stop(t)
		toB = vipMoved(t, p.b, stopped)
		moveWithin(t, toB, lastAdvertBefore(t, caps[0], dirA, 0, 0, toB.added), skewB+moveSlack, "graceful stop")
		checks = append(checks, firstRequestAfter(t, http, toB, "graceful stop"))
		s1.waitLines(t, 10, 10*time.Second)
		s2.waitLines(t, 10, 10*time.Second)
		t.Logf("HTTP requests over A's graceful stop: %s", describe(count(http.between(stopped, time.Now()))))

		// A comes back (rebooted) and preempts again.
		rebuildDirector(t, dirA)
		caps = append(caps, captureAdverts(t, dirA))
		returned = time.Now()
		p.returnA(t, false)
		toA = vipMoved(t, p.a, returned)
		checks = append(checks, firstRequestAfter(t, http, toA, "preemption after the graceful stop"))
		s1.waitLines(t, 10, 10*time.Second)
		s2.waitLines(t, 10, 10*time.Second)
		checks = append(checks, requestsFailed(t, http, returned, time.Now(), "A's return and preemption after the graceful stop"))

		// B takes over from a silent A once (the crash) and from an advertising A once (the
		// priority-0 handover); A preempts an advertising B twice, and its first election
		// and nothing else happen while B is silent. A takeover from a master silent for
		// Master_Down_Interval is the protocol's: when the guest's one vCPU did not run the
		// master that long, a request during a move or the first after it may fail too, and
		// is a figure.
		extra := max(noSpuriousMoves(t, p.b, t0, 1, dirA, caps, masterDownB)-1, 0)
		extra += max(noSpuriousMoves(t, p.a, t0, 2, dirB, caps, masterDownA)-1, 0)
		for _, err := range checks {
			switch {
			case err == nil:
			case extra > 0:
				figure(t, "%v (the guest starved a master into %d more takeovers)", err, extra)
			default:
				t.Error(err)
			}
		}
		http.halt()
		t.Logf("HTTP requests in all: %s", describe(count(http.between(t0, time.Time{}))))
		s1.close(t)
		s2.close(t)
		p.b.stop(t)
		p.a.stop(t)
	})

	t.Run("sloppy mh without sync", func(t *testing.T) {
		rebuildDirector(t, dirA)
		rebuildDirector(t, dirB)
		p := startPair(t, preemptEdits(false, "mh"))
		for _, h := range []host{dirA, dirB} {
			if got := strings.TrimSpace(nsRun(t, h.ns, "cat /proc/sys/net/ipv4/vs/sloppy_tcp")); got != "1" {
				t.Errorf("sloppy_tcp on %s = %q, want 1", h.ns, got)
			}
		}
		s3 := p.stream(t, "s3 (through A, no sync)")
		p.crashA(t)
		s3.waitLines(t, 10, 10*time.Second)
		p.returnA(t, true)
		s3.waitLines(t, 10, 10*time.Second)
		s3.close(t)
	})
}

// pair is the two directors of TestPreemptKeepsStreams.
type pair struct {
	a, b         *halvsd
	confA, confB string
}

// startPair starts A, waits for it to be MASTER, then B (BACKUP), both tables programmed.
func startPair(t *testing.T, edits []string) *pair {
	t.Helper()
	dir := t.TempDir()
	p := &pair{confA: seedVariant(t, dir, "director-a.hcl", edits...), confB: seedVariant(t, dir, "director-b.hcl", edits...)}
	t0 := time.Now()
	p.a = startHalvs(t, "A", dirA, p.confA, dir+"/director-a.log")
	p.a.waitLog(t, t0, 20*time.Second, stateWords("MASTER")...)
	p.b = startHalvs(t, "B", dirB, p.confB, dir+"/director-b.log")
	p.b.waitLog(t, t0, 20*time.Second, stateWords("BACKUP")...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("director A's log:\n%s\ndirector B's log:\n%s", p.a.tail(150), p.b.tail(150))
		}
	})
	want := map[string]dest{destKey(rs1): {Forward: "Route", Weight: 3}, destKey(rs2): {Forward: "Route", Weight: 3}}
	for _, rs := range realServers {
		want[fmt.Sprintf("TCP %s:%d -> %s:%d", vip, echoPort, rs.addr, echoPort)] = dest{Forward: "Route", Weight: 3}
	}
	for _, d := range []host{dirA, dirB} {
		if got, ok := waitTable(t, d, want, 15*time.Second); !ok {
			t.Fatalf("IPVS table on %s:\n%s", d.ns, got)
		}
	}
	return p
}

// crashA freezes A's halvs, takes its link down, kills it and rebuilds its namespace (a
// reboot: no IPVS table, no connections, no VIP); B takes over.
func (p *pair) crashA(t *testing.T) {
	t.Helper()
	frozen := time.Now()
	p.a.cmd.Process.Signal(syscall.SIGSTOP)
	nsRun(t, dirA.ns, "ip link set eth0 down")
	p.a.kill(t)
	// B may take over before the kill returns: the link down alone takes a second or more
	// when the emulated CPU is busy.
	p.b.waitLog(t, frozen, 20*time.Second, stateWords("MASTER")...)
	rebuildDirector(t, dirA)
}

// returnA starts A again and waits until it has preempted B; with crashed, A's log must show
// the preemption hold being released first (under the sync daemon). It returns how long A
// took from start to MASTER.
func (p *pair) returnA(t *testing.T, crashed bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	p.a.start(t)
	at := p.a.waitLog(t, t0, 30*time.Second, stateWords("MASTER")...)
	p.b.waitLog(t, t0, 10*time.Second, stateWords("BACKUP")...)
	deadline := time.Now().Add(10 * time.Second)
	for neighMAC(t, client.ns, vip.String()) != linkMAC(t, dirA.ns) {
		if time.Now().After(deadline) {
			t.Fatalf("the client does not send to the VIP at A's MAC after A's return")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return at.Sub(t0)
}

// rebuildDirector gives director h a new namespace, as freshDirectors does at the end of a test.
func rebuildDirector(t *testing.T, h host) {
	t.Helper()
	var sb strings.Builder
	fmt.Fprintf(&sb, "ip -n %s link del v-%s 2>/dev/null || true\n", lanNS, h.ns)
	fmt.Fprintf(&sb, "ip netns del %s\n", h.ns)
	fmt.Fprintf(&sb, "rm -rf %s\n", runDir(h)) // a reboot empties /run
	fmt.Fprintf(&sb, "ip netns add %[1]s; ip -n %[1]s link set lo up\n", h.ns)
	fmt.Fprintf(&sb, "ip -n %s link add v-%s type veth peer name eth0 netns %s\n", lanNS, h.ns, h.ns)
	fmt.Fprintf(&sb, "ip -n %s link set v-%s master br0 up\n", lanNS, h.ns)
	fmt.Fprintf(&sb, "ip -n %s addr add %s/24 dev eth0\n", h.ns, h.addr)
	fmt.Fprintf(&sb, "ip -n %s link set eth0 up\n", h.ns)
	if _, err := runErr("sh", "-ec", shPrelude+sb.String()); err != nil {
		t.Fatalf("rebuilding %s: %v", h.ns, err)
	}
}

// startEchoServers listens on :7 in each real server's namespace and echoes every line.
func startEchoServers(t *testing.T) {
	t.Helper()
	for _, rs := range realServers {
		var ln net.Listener
		err := inNamespace(rs.ns, func() error {
			var err error
			ln, err = net.Listen("tcp", fmt.Sprintf(":%d", echoPort))
			return err
		})
		if err != nil {
			t.Fatalf("echo server on %s: %v", rs.ns, err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					sc := bufio.NewScanner(c)
					for sc.Scan() {
						if _, err := fmt.Fprintln(c, sc.Text()); err != nil {
							return
						}
					}
				}()
			}
		}()
	}
}

// echoStream is a client connection to VIP:7 that sends a numbered line every 100 ms and
// checks each echo; it records the first error (a reset: the stream did not survive).
type echoStream struct {
	name  string
	conn  net.Conn
	local string

	mu    sync.Mutex
	lines int
	err   error
	done  chan struct{}
	stop  chan struct{}
}

func (p *pair) stream(t *testing.T, name string) *echoStream {
	t.Helper()
	return openEchoStream(t, client.ns, name)
}

// openEchoStream opens a line-echo stream from namespace ns to VIP:echoPort and waits for its
// first lines.
func openEchoStream(t *testing.T, ns, name string) *echoStream {
	t.Helper()
	s := &echoStream{name: name, done: make(chan struct{}), stop: make(chan struct{})}
	err := inNamespace(ns, func() error {
		var err error
		s.conn, err = net.DialTimeout("tcp", fmt.Sprintf("%s:%d", vip, echoPort), 5*time.Second)
		return err
	})
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	s.local = s.conn.LocalAddr().String()
	go s.run()
	t.Cleanup(func() { s.conn.Close(); <-s.done })
	s.waitLines(t, 3, 10*time.Second)
	return s
}

func (s *echoStream) run() {
	defer close(s.done)
	r := bufio.NewReader(s.conn)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		want := fmt.Sprintf("line %d", i)
		s.conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err := fmt.Fprintln(s.conn, want)
		var got string
		if err == nil {
			got, err = r.ReadString('\n')
		}
		if err == nil && strings.TrimSpace(got) != want {
			err = fmt.Errorf("echo %q, want %q", got, want)
		}
		s.mu.Lock()
		if err != nil {
			s.err = err
			s.mu.Unlock()
			return
		}
		s.lines++
		s.mu.Unlock()
	}
}

// waitLines waits for n more echoed lines; it fails if the stream broke.
func (s *echoStream) waitLines(t *testing.T, n int, limit time.Duration) {
	t.Helper()
	s.mu.Lock()
	want := s.lines + n
	s.mu.Unlock()
	deadline := time.Now().Add(limit)
	for {
		s.mu.Lock()
		lines, err := s.lines, s.err
		s.mu.Unlock()
		switch {
		case err != nil:
			t.Fatalf("stream %s broke after %d lines: %v", s.name, lines, err)
		case lines >= want:
			return
		case time.Now().After(deadline):
			t.Fatalf("stream %s stalled at %d lines", s.name, lines)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *echoStream) close(t *testing.T) {
	t.Helper()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Errorf("stream %s: %v", s.name, s.err)
	}
	t.Logf("stream %s: %d lines echoed, none lost", s.name, s.lines)
}

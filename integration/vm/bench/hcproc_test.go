package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		user, sys  time.Duration
		bad        bool
	}{
		{name: "plain", line: "26145 (cat) R 26143 26143 23087 0 -1 4194304 99 0 0 0 250 37 0 0 20 0 1 0 949705 3133440 412",
			user: 2500 * time.Millisecond, sys: 370 * time.Millisecond},
		{name: "spaces and parentheses in the name", line: "7 (a) b (c)) S 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1",
			user: 30 * time.Millisecond, sys: 40 * time.Millisecond},
		{name: "truncated", line: "7 (x) S 1 7 7 0 -1 0 0 0", bad: true},
		{name: "no name", line: "7 x S", bad: true},
		{name: "not a number", line: "7 (x) S 1 7 7 0 -1 0 0 0 0 0 u 4 0", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, s, err := parseProcStat(tc.line)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v, want error %v", err, tc.bad)
			}
			if diff := cmp.Diff([2]time.Duration{tc.user, tc.sys}, [2]time.Duration{u, s}); !tc.bad && diff != "" {
				t.Errorf("utime, stime (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCPULine(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	got, err := parseCPULine("cpu  400 1 170 1200 20 3 30 2 50 0")
	if err != nil {
		t.Fatal(err)
	}
	want := cpuStat{busy: 6060 * time.Millisecond, idle: 12200 * time.Millisecond, softirq: 300 * time.Millisecond}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(cpuStat{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"cpu0 1 2 3 4 5 6 7", "cpu 1 2 3", "cpu 1 2 x 4 5 6 7"} {
		if _, err := parseCPULine(bad); err == nil {
			t.Errorf("parseCPULine(%q) accepted it", bad)
		}
	}
}

// TestProcCPUSelf: this process's own figures move when it burns CPU.
func TestProcCPUSelf(t *testing.T) {
	u0, s0, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
	}
	u1, s1, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u1+s1 <= u0+s0 {
		t.Errorf("CPU did not grow over 50 ms of spinning: %v → %v", u0+s0, u1+s1)
	}
}

// TestServeListeners runs the listener side on real loopback ports and counts connections.
func TestServeListeners(t *testing.T) {
	const n = 3
	base := freePorts(t, n)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serveListeners(n, base, inR, outW); outW.Close() }()
	t.Cleanup(func() { inW.Close(); <-done })
	lines := bufio.NewScanner(outR)
	ask := func(cmd string) string {
		if cmd != "" {
			fmt.Fprintln(inW, cmd)
		}
		if !lines.Scan() {
			t.Fatalf("%q: no answer", cmd)
		}
		return lines.Text()
	}
	if got := ask(""); got != "ready" {
		t.Fatalf("first line %q, want ready", got)
	}
	dial := func(port int) {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 1)) // returns at the server's close: the accept was counted
		c.Close()
	}
	dial(base)
	dial(base)
	dial(base + 2)
	var got []string
	got = append(got, ask("stat"), ask("reset"), ask("stat"))
	dial(base + 1)
	got = append(got, ask("stat"), ask("bogus"))
	want := []string{"stat 3 2", "ok", "stat 3 0", "stat 4 1", `error unknown command "bogus"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// freePorts finds n consecutive free ports on 127.0.0.1, below the kernel's ephemeral range
// (ip_local_port_range starts at 32768 by default): connections closed there, by this test
// run or a benchmark before it, leave TIME_WAIT sockets that keep a listener from binding a
// port for a minute, and a crowded ephemeral range then has no run of free ports at all.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	const low, high = 20000, 32000
	start := low + rand.IntN(high-low)
	for i := 0; i < high-low; i += n {
		base := low + (start-low+i)%(high-low-n)
		ok := true
		var ls []net.Listener
		for p := base; p < base+n && ok; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no run of free ports")
	return 0
}

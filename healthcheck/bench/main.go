// Command bench measures the health-check scheduler at scale: N tcp_checks at delay_loop 1 s
// against loopback listeners served by a child process, reporting this process's CPU and
// memory and the time from a listener's close to its RealServerDown event against keepalived's
// bound (connect_timeout + retry × delay_before_retry + delay_loop). Last, the floor: the same
// connects and closes from one plain loop at the same rate (floor.go), the least any checker
// making them can cost on this machine, so that halvs' own overhead is the difference.
// Figures are reported, not asserted.
//
//	go run ./healthcheck/bench -n 10000
package main

import (
	"bufio"
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/halvs/halvs/healthcheck"
)

// checksDone counts finished checks (OnResult), to report CPU per check.
var checksDone atomic.Int64

// slice is one part of the steady-state window.
type slice struct {
	pct      float64 // CPU, % of one core
	perCheck time.Duration
	checks   int64
}

func bySliceChecks(a, b slice) int { return cmp.Compare(a.checks, b.checks) }

// windowSlices is how many parts of the steady-state window are measured on their own.
const windowSlices = 5

// profile and memProfile name the CPU and heap profile files (-cpuprofile, -memprofile), empty
// for none.
var profile, memProfile string

func main() {
	n := flag.Int("n", 10000, "number of real servers, one tcp_check each")
	perVS := flag.Int("per-vs", 100, "real servers per virtual server")
	delay := flag.Duration("delay-loop", time.Second, "delay_loop")
	retry := flag.Int("retry", 1, "retry")
	dbr := flag.Duration("delay-before-retry", time.Second, "delay_before_retry")
	timeout := flag.Duration("connect-timeout", time.Second, "connect_timeout")
	window := flag.Duration("window", 10*time.Second, "steady-state measurement window")
	kill := flag.Int("kill", 100, "listeners closed to measure detection")
	basePort := flag.Int("base-port", 20000, "first listener port on 127.0.0.1")
	serve := flag.Bool("serve", false, "internal: run the listeners (child process)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the steady-state window to this file")
	memProf := flag.String("memprofile", "", "write a heap profile at the end of the steady-state window to this file")
	mptcp := flag.Bool("listener-mptcp", false, "listen with MPTCP (Go's default for net.Listen since 1.24); "+
		"on loopback the listeners' kernel work is charged to the checker, and most real servers listen with plain TCP")
	flag.Parse()
	profile, memProfile = *cpuProfile, *memProf
	if *serve {
		runServer(*basePort, *n, *mptcp)
		return
	}
	if err := run(*n, *perVS, *basePort, *kill, *mptcp, *window, healthcheck.Timing{
		DelayLoop: *delay, Retry: *retry, DelayBeforeRetry: *dbr, Warmup: *delay,
	}, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// runServer listens on base..base+n-1, prints "ready", then closes the ports named on stdin
// ("close P"), answering "closed P" once each is closed.
func runServer(base, n int, mptcp bool) {
	ls := map[int]net.Listener{}
	var lc net.ListenConfig
	lc.SetMultipathTCP(mptcp)
	for p := base; p < base+n; p++ {
		l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		ls[p] = l
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
	}
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "close" {
			p, _ := strconv.Atoi(f[1])
			if l := ls[p]; l != nil {
				l.Close()
				fmt.Println("closed", p)
			}
		}
	}
}

func run(n, perVS, base, kill int, mptcp bool, window time.Duration, tm healthcheck.Timing, timeout time.Duration) error {
	child := exec.Command(os.Args[0], "-serve", "-n", strconv.Itoa(n), "-base-port", strconv.Itoa(base),
		"-listener-mptcp="+strconv.FormatBool(mptcp))
	child.Stderr = os.Stderr
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		return err
	}
	defer func() { stdin.Close(); child.Process.Kill(); child.Wait() }()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		return fmt.Errorf("listener process: %q", lines.Text())
	}

	var vss []healthcheck.VirtualServer
	for i := 0; i < n; i++ {
		if i%perVS == 0 {
			vss = append(vss, healthcheck.VirtualServer{Name: fmt.Sprintf("vs%d", i/perVS), Quorum: 1})
		}
		vs := &vss[len(vss)-1]
		vs.RealServers = append(vs.RealServers, healthcheck.RealServer{
			Addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(base+i)), Weight: 1,
			Checks: []healthcheck.Check{{Spec: healthcheck.TCPSpec{Conn: healthcheck.Conn{ConnectTimeout: timeout}}, Timing: tm}},
		})
	}
	var mu sync.Mutex
	downAt := map[uint16]time.Time{}
	unexpected := 0
	s, err := healthcheck.New(vss, healthcheck.Options{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnResult: func(string, netip.AddrPort, string, healthcheck.Result) { checksDone.Add(1) },
		OnEvent: func(e healthcheck.Event) {
			if e.Type == healthcheck.RealServerDown && !e.Initial {
				mu.Lock()
				downAt[e.RealServer.Port()] = time.Now()
				mu.Unlock()
			}
		},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	listener := "TCP"
	if mptcp {
		listener = "MPTCP"
	}
	fmt.Printf("halvs health-check bench: %d tcp_checks, delay_loop %v, retry %d, delay_before_retry %v, connect_timeout %v, %s listeners, %d CPUs\n",
		n, tm.DelayLoop, tm.Retry, tm.DelayBeforeRetry, timeout, listener, runtime.NumCPU())
	// Warm up: every check has run at least once.
	time.Sleep(tm.Warmup + 2*tm.DelayLoop)
	ranChecks := 0
	for _, st := range s.Status() {
		for _, rs := range st.RealServers {
			if rs.Checks[0].HasRun {
				ranChecks++
			}
		}
	}
	mu.Lock()
	unexpected = len(downAt)
	mu.Unlock()

	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	gc0 := ms0.NumGC
	cpu0, wall0 := cpuTime(), time.Now()
	// The window is measured as slices too: on a shared machine a neighbour's burst inflates
	// every system call for a while, and the spread over the slices shows it where one total
	// would hide it.
	var parts []slice
	last, lastAt, lastChecks := cpu0, wall0, checksDone.Load()
	for range windowSlices {
		time.Sleep(window / windowSlices)
		now, at, checks := cpuTime(), time.Now(), checksDone.Load()
		d := now.sub(last)
		parts = append(parts, slice{pct: 100 * (d.user + d.sys).Seconds() / at.Sub(lastAt).Seconds(),
			perCheck: (d.user + d.sys) / time.Duration(max(1, checks-lastChecks)), checks: checks - lastChecks})
		last, lastAt, lastChecks = now, at, checks
	}
	cpu, wall := cpuTime().sub(cpu0), time.Since(wall0)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	if memProfile != "" {
		if err := writeHeapProfile(memProfile); err != nil {
			return err
		}
	}
	rss, hwm := memKiB("VmRSS"), memKiB("VmHWM")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / wall.Seconds() }
	fmt.Printf("steady state over %v: CPU %.1f%% of one core (user %.1f%%, system %.1f%%), RSS %.1f MiB (peak %.1f MiB), %d goroutines, %d/%d checks ran, %d spurious downs\n",
		wall.Round(time.Millisecond), pct(cpu.user+cpu.sys), pct(cpu.user), pct(cpu.sys), float64(rss)/1024, float64(hwm)/1024,
		runtime.NumGoroutine(), ranChecks, n, unexpected)
	slices.SortFunc(parts, func(a, b slice) int { return cmp.Compare(a.pct, b.pct) })
	fmt.Printf("CPU over %d slices of %v: min %.1f%%, median %.1f%%, max %.1f%% of one core\n",
		len(parts), window/windowSlices, parts[0].pct, parts[len(parts)/2].pct, parts[len(parts)-1].pct)
	slices.SortFunc(parts, func(a, b slice) int { return cmp.Compare(a.perCheck, b.perCheck) })
	fmt.Printf("CPU per check over the slices: min %v, median %v, max %v (%d to %d checks a slice)\n",
		parts[0].perCheck, parts[len(parts)/2].perCheck, parts[len(parts)-1].perCheck,
		slices.MinFunc(parts, bySliceChecks).checks, slices.MaxFunc(parts, bySliceChecks).checks)
	checks := float64(n) * wall.Seconds() / tm.DelayLoop.Seconds() // every check passes: one per delay_loop
	fmt.Printf("Go heap: %.1f MiB allocated, %.1f MiB obtained from the OS, %d GCs and %.1f allocations per check in the window\n",
		float64(ms.HeapAlloc)/(1<<20), float64(ms.Sys)/(1<<20), ms.NumGC-gc0, float64(ms.Mallocs-ms0.Mallocs)/checks)

	// Detection: close kill listeners spread over the range, time each to its down event.
	bound := timeout + time.Duration(tm.Retry)*tm.DelayBeforeRetry + tm.DelayLoop
	closedAt := map[uint16]time.Time{}
	step := max(1, n/max(1, kill))
	for i := 0; i < n && len(closedAt) < kill; i += step {
		p := base + i
		fmt.Fprintf(stdin, "close %d\n", p)
		if !lines.Scan() || lines.Text() != fmt.Sprintf("closed %d", p) {
			return fmt.Errorf("closing %d: %q", p, lines.Text())
		}
		closedAt[uint16(p)] = time.Now()
		time.Sleep(tm.DelayLoop / time.Duration(kill)) // spread the closes over one loop
	}
	deadline := time.Now().Add(2 * bound)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := 0
		for p := range closedAt {
			if _, ok := downAt[p]; ok {
				got++
			}
		}
		mu.Unlock()
		if got == len(closedAt) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	var lat []time.Duration
	missed := 0
	mu.Lock()
	for p, c := range closedAt {
		if d, ok := downAt[p]; ok {
			lat = append(lat, d.Sub(c))
		} else {
			missed++
		}
	}
	mu.Unlock()
	slices.Sort(lat)
	if len(lat) == 0 {
		return fmt.Errorf("no detection among %d closed listeners", len(closedAt))
	}
	over := 0
	for _, d := range lat {
		if d > bound+50*time.Millisecond {
			over++
		}
	}
	// The floor last, once the scheduler stopped, with the kernel in the same state (its
	// TIME_WAIT table as full as during the window): the same rate, the listeners still open.
	var open []int
	for i := range n {
		if _, closed := closedAt[uint16(base+i)]; !closed {
			open = append(open, base+i)
		}
	}
	floorPerCheck, floorChecks, err := floor(open, float64(n)/tm.DelayLoop.Seconds(), window/2)
	if err != nil {
		return err
	}
	fmt.Printf("floor: the same connects and closes from one loop at the same rate, no scheduler (%d of them): %v of CPU per check, %.1f%% of one core at this rate\n",
		floorChecks, floorPerCheck.Round(100*time.Nanosecond), 100*floorPerCheck.Seconds()*float64(n)/tm.DelayLoop.Seconds())

	q := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))].Round(time.Millisecond) }
	fmt.Printf("detection of %d closed listeners: min %v, p50 %v, p99 %v, max %v; bound %v; %d beyond bound+50ms, %d missed\n",
		len(closedAt), q(0), q(0.5), q(0.99), q(1), bound, over, missed)
	return nil
}

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cpuTime is this process's CPU time, user and system.
func cpuTime() cpuTimes {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return cpuTimes{user: time.Duration(ru.Utime.Nano()), sys: time.Duration(ru.Stime.Nano())}
}

type cpuTimes struct{ user, sys time.Duration }

func (c cpuTimes) sub(d cpuTimes) cpuTimes { return cpuTimes{c.user - d.user, c.sys - d.sys} }

// memKiB reads a Vm* line of /proc/self/status.
func memKiB(field string) int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.Atoi(f[0])
				return v
			}
		}
	}
	return 0
}

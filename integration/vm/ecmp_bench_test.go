//go:build vmtest

package vm

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ecmpBenchParams are make bench's knobs for TestECMPBench, from HALVS_VM_ECMP_BENCH
// ("runs=3,window=10s,clients=8,kills=3": the kernel command line carries no spaces).
type ecmpBenchParams struct {
	runs    int           // measurements per row of the requests table; it shows the median
	window  time.Duration // each measurement
	clients int           // concurrent request loops on the client
	kills   int           // kills of each kind timed
}

func parseECMPBench(s string) (ecmpBenchParams, error) {
	p := ecmpBenchParams{runs: 3, window: 10 * time.Second, clients: 8, kills: 3}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "", "1":
		case "runs":
			p.runs, err = strconv.Atoi(v)
		case "window":
			p.window, err = time.ParseDuration(v)
		case "clients":
			p.clients, err = strconv.Atoi(v)
		case "kills":
			p.kills, err = strconv.Atoi(v)
		default:
			err = fmt.Errorf("unknown knob %q", k)
		}
		if err != nil {
			return p, fmt.Errorf("HALVS_VM_ECMP_BENCH %q: %v", s, err)
		}
	}
	return p, nil
}

// TestECMPBench is make bench's active-active section (scripts/bench.sh, HALVS_VM_ECMP_BENCH):
// HTTP requests per second from the client through 1, 2 and 3 directors (started one after
// the other), and the time from a director's death to the router's removal of its next hop,
// for a machine that dies (the hold timer) and for a halvs process that is killed (its
// kernel closes the session). It reports (failed requests too: timeouts on a starved host);
// it asserts only that the router drops the dead director.
func TestECMPBench(t *testing.T) {
	spec := os.Getenv("HALVS_VM_ECMP_BENCH")
	if spec == "" {
		t.Skip("make bench runs this (HALVS_VM_ECMP_BENCH)")
	}
	p, err := parseECMPBench(spec)
	if err != nil {
		t.Fatal(err)
	}
	ecmpLab(t)
	startEchoServers(t)
	r := startRouter(t)

	fmt.Printf("ECMP scale-out (VM: qemu TCG, one vCPU for client, router, directors and real servers)\n")
	fmt.Printf("HTTP requests per second, one new connection each, %d client loops, %v windows, median of %d\n",
		p.clients, p.window, p.runs)
	fmt.Printf("%-10s %-10s %-8s %-24s %-8s %s\n", "directors", "next hops", "req/s", "runs", "failed", "new connections by director")
	var ds []ecmpDirector
	for n := 1; n <= len(ecmpDirs); n++ {
		ds = append(ds, startECMPDirector(t, ecmpDirs[n-1], 1))
		if _, ok := waitNextHops(t, 60*time.Second, ecmpDirs[:n]...); !ok {
			t.Fatalf("%d directors started, next hops %v; bird:\n%s", n, nextHops(t), r.protocols(t))
		}
		var rates []float64
		var runs []string
		failed := 0
		before := httpConns(t, ds)
		for i := 0; i < p.runs; i++ {
			ok, f := loadVIP(t, p.clients, p.window)
			failed += f
			rate := float64(ok) / p.window.Seconds()
			rates = append(rates, rate)
			runs = append(runs, fmt.Sprintf("%.0f", rate))
		}
		time.Sleep(2500 * time.Millisecond) // the kernel folds its counters in every 2 s
		after := httpConns(t, ds)
		var by []string
		for _, d := range ds {
			by = append(by, fmt.Sprintf("%s %d", d.name, after[d.name]-before[d.name]))
		}
		sort.Float64s(rates)
		fmt.Printf("%-10d %-10d %-8.0f %-24s %-8d %s\n", n, len(nextHops(t)), rates[len(rates)/2],
			strings.Join(runs, " "), failed, strings.Join(by, ", "))
	}

	fmt.Printf("\nA director's death to the router's removal of its next hop (hold_time %v), %d runs each\n", ecmpHoldTime, p.kills)
	victim := ds[2]
	kinds := []struct {
		name string
		kill func() time.Time
	}{
		{"machine dies (frozen, link down, killed)", func() time.Time { return victim.crash(t) }},
		{"halvs killed (SIGKILL, the machine lives)", func() time.Time {
			at := victim.kill(t)
			rebuildECMPDirector(t, victim.host) // after the measurement: a clean restart
			return at
		}},
	}
	for _, k := range kinds {
		var took []time.Duration
		for i := 0; i < p.kills; i++ {
			at := k.kill()
			gone, ok := waitNextHops(t, ecmpHoldTime+30*time.Second, dirA, dirB)
			if !ok {
				t.Fatalf("%s: the router still routes via %v", k.name, nextHops(t))
			}
			took = append(took, gone.Sub(at))
			victim.start(t)
			if _, ok := waitNextHops(t, 60*time.Second, ecmpDirs...); !ok {
				t.Fatalf("%s: C did not come back, next hops %v", k.name, nextHops(t))
			}
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		fmt.Printf("%-44s min %5.2f s  median %5.2f s  max %5.2f s\n", k.name,
			took[0].Seconds(), took[len(took)/2].Seconds(), took[len(took)-1].Seconds())
	}
	fmt.Println("ecmp-bench: done")
}

// loadVIP runs clients request loops from the client network against http://VIP/ for window
// and counts the answered and the failed requests.
func loadVIP(t *testing.T, clients int, window time.Duration) (ok, failed int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	end := time.Now().Add(window)
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- inNamespace(eclient.ns, func() error {
				for time.Now().Before(end) {
					_, err := getVIP(ecmpProbeTimeout)
					mu.Lock()
					if err != nil {
						failed++
					} else {
						ok++
					}
					mu.Unlock()
				}
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return ok, failed
}

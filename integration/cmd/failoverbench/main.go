//go:build integration

// Command failoverbench measures VRRP failover on the host's reference lab (network
// namespaces, see package integration) for halvs and for keepalived in the same role, and
// prints min/median/max next to the RFC bound. It reports; it asserts nothing about time.
//
// Both directors run VRRPv3 with priority 100 and the same interval, so each run's backup
// takes over at the same bound and the roles can alternate: the stopped director comes back
// as the backup of the new master (an equal priority never preempts), which saves waiting a
// Master_Down_Interval for a preempting master before each run.
//
// Takeover is the first gratuitous ARP from the new master that the client's namespace
// receives (kernel receive timestamps), measured from
//   - crash (SIGKILL of the master's VRRP process): the master's last advert on the wire,
//     so that the phase of the advert cycle drops out; bound 3 × interval + Skew_Time;
//   - graceful (SIGTERM): the master's priority-0 advert; bound Skew_Time.
//
// Run as root: go run -tags integration ./integration/cmd/failoverbench [flags]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/halvs/halvs/integration"
)

func main() {
	runs := flag.Int("runs", 5, "runs per interval, case and implementation")
	intervals := flag.String("intervals", "1s,100ms,50ms", "comma-separated advert intervals (VRRPv3: multiples of 10ms)")
	impls := flag.String("impls", "halvs,keepalived", "comma-separated implementations to measure")
	busy := flag.Int("busy", 0, "goroutines spinning on the CPU during the runs (to look for false takeovers under load)")
	verbose := flag.Bool("v", false, "log each run")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: failoverbench [flags] (as root)\n\nMeasures VRRP takeover times in network namespaces; see the package comment.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "failoverbench: needs root (it builds network namespaces)")
		os.Exit(1)
	}
	var ivs []time.Duration
	for _, s := range strings.Split(*intervals, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < 10*time.Millisecond || d%(10*time.Millisecond) != 0 {
			fmt.Fprintf(os.Stderr, "failoverbench: -intervals: %q is not a multiple of 10ms\n", s)
			os.Exit(2)
		}
		ivs = append(ivs, d)
	}
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "failoverbench: -runs must be at least 1")
		os.Exit(2)
	}
	var list []integration.Impl
	for _, s := range strings.Split(*impls, ",") {
		switch impl := integration.Impl(strings.TrimSpace(s)); impl {
		case integration.Halvs, integration.Keepalived:
			list = append(list, impl)
		default:
			fmt.Fprintf(os.Stderr, "failoverbench: -impls: unknown implementation %q\n", s)
			os.Exit(2)
		}
	}
	stop := spin(*busy)
	defer stop()

	fmt.Printf("VRRPv3, priority 100 on both directors, %d runs per row; times from kernel receive\n", *runs)
	fmt.Printf("timestamps in the client namespace. crash: SIGKILL, from the master's last advert to the\n")
	fmt.Printf("new master's first gratuitous ARP; graceful: SIGTERM, from the priority-0 advert.\n")
	if *busy > 0 {
		fmt.Printf("%d goroutines kept the CPUs busy during the runs.\n", *busy)
	}
	fmt.Println()
	header()
	failed := false
	for _, iv := range ivs {
		for _, impl := range list {
			rows, note := measure(impl, iv, *runs, *verbose)
			if note != "" {
				fmt.Printf("%-8s %-9s %-11s %s\n", iv, "-", impl, note)
				if !strings.HasPrefix(note, "skipped") {
					failed = true
				}
				continue
			}
			for _, r := range rows {
				r.print()
			}
		}
	}
	fmt.Println("\nadvert-bound: median time to the new master's first advert, minus the bound (the timer alone).")
	fmt.Println("false: takeovers by a backup while the master was alive (should be 0).")
	if failed {
		os.Exit(1)
	}
}

// spin starts n goroutines that burn CPU until the returned function is called.
func spin(n int) func() {
	done := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() {
			x := 0
			for {
				select {
				case <-done:
					return
				default:
					for j := 0; j < 1e5; j++ {
						x += j
					}
				}
			}
		}()
	}
	return func() { close(done) }
}

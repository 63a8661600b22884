// Command bench is the LVS section of `make bench`: inside the VM tier's guest (a real IPVS
// kernel, see ../README.md), in one boot, it times programming the same IPVS table with
// `halvs ipvs -c FILE`, with `ipvsadm --restore` and with keepalived (checker process alone,
// real servers without checkers, which keepalived adds when it starts), from empty, for each
// table size; then one weight change in the largest table (halvs against `ipvsadm -e`) and a
// re-apply of an unchanged table by halvs. It counts the operations halvs prints, checks that
// every tool left exactly the wanted table in the kernel, and prints the figures as a table.
//
// Timings under qemu's software emulation only mean something as ratios within one boot, so
// it asserts nothing about time; it fails (exit 1) when a tool programs the wrong table or
// halvs issues other than the expected number of operations. integration/vm/bench.sh builds
// it and boots it; run it by hand in the guest with -h for its flags.
//
// How each tool is timed, wall clock in the guest:
//   - halvs: the `halvs ipvs -c FILE` process from start to exit (reading the configuration,
//     reading the kernel's table, diffing, applying, printing each operation to a file);
//   - ipvsadm: the `ipvsadm --restore <FILE` process from start to exit;
//   - keepalived: from starting `keepalived -C -n` until the table is complete, seen by polling
//     the kernel over netlink from this process every few milliseconds (the last service's
//     real servers, then the whole table); keepalived is then stopped by its PID, which
//     removes its services, and the stop is timed too.
//
// Besides, "lvs in-process" figures run the same work through the lvs package directly (no
// process start, no configuration parsing), which says where halvs' time goes.
//
// The "hc" section (-sections) compares health checkers instead: the same N tcp_checks
// (connect_timeout 1 s, delay_loop 1 s, retry 1, delay_before_retry 1 s) against loopback
// listeners held by a child process, run in turn by `keepalived -C -n` (parent and checker
// child), `halvs run` and the healthcheck scheduler alone in a child process. Once the table
// is programmed and every check has run, it reads each one's utime+stime from /proc/PID/stat
// over a window and counts the checks by the connections the listeners accepted; it prints
// CPU as a share of the vCPU and per check, and halvs/keepalived. It fails when a checker
// exits, never runs every check, or takes out a real server whose listener is up.
//
// The "reload" section reloads `halvs run`, then keepalived, on issue 10's table (2,000
// virtual servers × 16 real servers and one VRRPv3 instance at advert_int 0.1 s), one weight
// changed each time: from SIGHUP to the weight in the kernel, the IPVS operations halvs
// applied, and the advert gaps a peer namespace sees during the reload against a window as
// long before it (reload.go says exactly what is timed).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

type options struct {
	halvs      string
	sizes      []int
	perService int
	runs       int
	profile    string
	sections   map[string]bool
	hc         hcOptions
	reload     reloadOptions
}

var allSections = []string{"lvs", "hc", "reload"}

func run(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	var sizes, sections, scheduler string
	var listen bool
	fs.StringVar(&o.halvs, "halvs", "/halvs/bin/halvs", "the halvs `binary`")
	fs.StringVar(&sizes, "sizes", "100,1000", "table sizes to program from empty, in `services` (comma-separated)")
	fs.IntVar(&o.perService, "per-service", 10, "real servers per service")
	fs.IntVar(&o.runs, "runs", 3, "runs per measurement; the table shows the median")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a Go CPU profile of the largest table programmed from empty and "+
		"re-applied in-process to `FILE` (\"console\": print it base64-encoded between "+pprofBegin+" and "+pprofEnd+")")
	fs.StringVar(&sections, "sections", strings.Join(allSections, ","), "sections to run, comma-separated: "+
		"lvs (IPVS programming), hc (health checkers' CPU) and reload (reload at scale)")
	fs.IntVar(&o.hc.n, "hc-n", 500, "hc: tcp_checks, one listener each; pick it so that no checker saturates the vCPU")
	fs.IntVar(&o.hc.base, "hc-base-port", 20000, "hc: the first listener `port` on 127.0.0.1")
	fs.DurationVar(&o.hc.window, "hc-window", 10*time.Second, "hc: measurement window per checker")
	fs.IntVar(&o.hc.runs, "hc-runs", 3, "hc: runs per checker, interleaved; the table shows the median run")
	fs.IntVar(&o.reload.services, "reload-services", 2000, "reload: virtual servers")
	fs.IntVar(&o.reload.perService, "reload-per-service", 16, "reload: real servers per virtual server")
	fs.IntVar(&o.reload.runs, "reload-runs", 5, "reload: reloads per daemon, after one warm-up")
	fs.DurationVar(&o.reload.interval, "reload-advert-int", 100*time.Millisecond, "reload: the VRRP instance's advert_int")
	fs.BoolVar(&o.reload.keepalived, "reload-keepalived", true, "reload: reload keepalived on the same table after halvs")
	fs.BoolVar(&listen, "hc-listen", false, "internal: be hc's listener process")
	fs.StringVar(&scheduler, "hc-scheduler", "", "internal: run the health checks of HCL `FILE` in-process until SIGTERM")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case listen:
		if err := serveListeners(o.hc.n, o.hc.base, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "hc-listen:", err)
			return 1
		}
		return 0
	case scheduler != "":
		if err := runScheduler(scheduler); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "hc-scheduler:", err)
			return 1
		}
		return 0
	}
	o.sections = map[string]bool{}
	for _, s := range strings.Split(sections, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(allSections, s) {
			fmt.Fprintf(os.Stderr, "bench: unknown section %q in -sections (want %s)\n", s, strings.Join(allSections, ", "))
			return 2
		}
		o.sections[s] = true
	}
	if o.reload.runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -reload-runs must be at least 1")
		return 2
	}
	if o.hc.window < time.Second || o.hc.runs < 1 {
		fmt.Fprintln(os.Stderr, "bench: -hc-window must be at least 1s and -hc-runs at least 1")
		return 2
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1<<16 {
			fmt.Fprintf(os.Stderr, "bench: bad -sizes entry %q\n", s)
			return 2
		}
		o.sizes = append(o.sizes, n)
	}
	if o.runs < 1 || o.perService < 1 || o.perService > 200 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be ≥ 1 and -per-service in 1..200")
		return 2
	}
	if err := bench(o); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return 1
	}
	return 0
}

func bench(o options) error {
	if err := preflight(o); err != nil {
		return fmt.Errorf("bench: FAIL: %w", err)
	}
	dir, err := os.MkdirTemp("", "lvs-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	k, err := openKernel()
	if err != nil {
		return err
	}
	defer k.close()
	if o.sections["lvs"] {
		if err := lvsSection(o, k, dir); err != nil {
			return fmt.Errorf("lvs-bench: FAIL: %w", err)
		}
	}
	if o.sections["hc"] {
		if err := hcSection(o, k, dir); err != nil {
			return fmt.Errorf("hc-bench: FAIL: %w", err)
		}
	}
	if o.sections["reload"] {
		if err := reloadSection(o, k, dir); err != nil {
			return fmt.Errorf("reload-bench: FAIL: %w", err)
		}
	}
	return nil
}

// lvsSection is the LVS programming section.
func lvsSection(o options, k *kernel, dir string) error {
	res := results{runs: o.runs}
	for _, n := range o.sizes {
		tb := table{services: n, perService: o.perService}
		if err := programFromEmpty(o, k, dir, tb, &res); err != nil {
			return fmt.Errorf("%s from empty: %w", tb, err)
		}
	}
	largest := table{services: slices.Max(o.sizes), perService: o.perService}
	if err := changeOne(o, k, dir, largest, &res); err != nil {
		return fmt.Errorf("weight change in %s: %w", largest, err)
	}
	if err := flush(); err != nil {
		return err
	}
	res.print(os.Stdout)
	fmt.Println("lvs-bench: done")
	if o.profile != "" {
		return profileInProcess(k, largest, o.profile)
	}
	return nil
}

// preflight checks the guest has what the benchmark runs, so a missing piece fails first.
func preflight(o options) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root: run through integration/vm/bench.sh")
	}
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		return fmt.Errorf("no IPVS in this kernel: %w", err)
	}
	for _, p := range []string{o.halvs, "/usr/sbin/ipvsadm", "/usr/sbin/keepalived"} {
		if _, err := os.Stat(p); err != nil {
			return err
		}
	}
	return flush()
}

package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// hcProcCPU is one process's CPU (utime+stime) over the window.
type hcProcCPU struct {
	name string
	pid  int
	cpu  time.Duration
}

// hcRow is one checker's figures over its window.
type hcRow struct {
	name     string
	ready    time.Duration // from its start until the table was programmed and every check had run
	wall     time.Duration // the window as measured
	checks   int64         // connections the listeners accepted in the window
	procs    []hcProcCPU
	user     time.Duration // utime of all its processes
	listener time.Duration // the listener process's utime+stime
	busy     time.Duration // the whole guest's non-idle time
	softirq  time.Duration // of which softirq
}

func (r hcRow) cpu() time.Duration {
	var d time.Duration
	for _, p := range r.procs {
		d += p.cpu
	}
	return d
}

func (r hcRow) pct(d time.Duration) float64 { return 100 * d.Seconds() / r.wall.Seconds() }

// perCheck is d divided among the window's checks.
func (r hcRow) perCheck(d time.Duration) time.Duration { return d / time.Duration(r.checks) }

// hcChecker is one checker's runs.
type hcChecker struct {
	name string
	runs []hcRow
}

// median is the run with the median CPU per check, the one the table shows.
func (c hcChecker) median() hcRow {
	rs := slices.Clone(c.runs)
	slices.SortFunc(rs, func(a, b hcRow) int { return cmp.Compare(a.perCheck(a.cpu()), b.perCheck(b.cpu())) })
	return rs[len(rs)/2]
}

type hcResults struct {
	table    hcTable
	window   time.Duration
	runs     int
	checkers []hcChecker
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func (res *hcResults) print(w io.Writer) {
	fmt.Fprintf(w, "\nHealth checks: %d tcp_checks to loopback listeners, delay_loop %ds, connect_timeout %ds, retry %d, "+
		"delay_before_retry %ds; qemu TCG, one vCPU; window %v once every check had run; the median of %d runs "+
		"by CPU per check (compare within this boot only)\n\n",
		res.table.n, hcDelayLoop, hcConnectTimeout, hcRetry, hcDelayBeforeRetry, res.window, res.runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "checker\tCPU, % of the vCPU\tCPU per check\tchecks in window\tof it user\tguest busy\tguest busy per check\tlisteners' CPU\tready after")
	for _, ch := range res.checkers {
		r := ch.median()
		c := r.cpu()
		fmt.Fprintf(tw, "%s\t%.1f%%\t%s\t%d (%.0f/s)\t%.0f%%\t%.1f%%\t%s\t%.1f%%\t%.1f s\n",
			ch.name, r.pct(c), us(r.perCheck(c)), r.checks, float64(r.checks)/r.wall.Seconds(),
			100*r.user.Seconds()/max(c.Seconds(), 1e-9), r.pct(r.busy), us(r.perCheck(r.busy)),
			r.pct(r.listener), r.ready.Seconds())
	}
	tw.Flush()

	if len(res.checkers) > 0 {
		ka := res.checkers[0].median()
		fmt.Fprintln(w)
		for _, ch := range res.checkers[1:] {
			r := ch.median()
			fmt.Fprintf(w, "%s / %s: %.2f × the CPU per check, %.2f × the guest's busy time per check\n",
				ch.name, res.checkers[0].name, ratio(r.perCheck(r.cpu()), ka.perCheck(ka.cpu())), ratio(r.perCheck(r.busy), ka.perCheck(ka.busy)))
		}
	}

	fmt.Fprintf(w, "\nevery run (processes: utime+stime over the window, %% of the vCPU):\n")
	for _, ch := range res.checkers {
		for i, r := range ch.runs {
			var parts []string
			for _, p := range r.procs {
				parts = append(parts, fmt.Sprintf("%s (pid %d) %.1f%%", p.name, p.pid, r.pct(p.cpu)))
			}
			fmt.Fprintf(w, "  %s, run %d: %s per check, guest busy %s per check; %s; guest softirq %.1f%%; %d checks in %v\n",
				ch.name, i+1, us(r.perCheck(r.cpu())), us(r.perCheck(r.busy)), strings.Join(parts, ", "),
				r.pct(r.softirq), r.checks, r.wall.Round(time.Millisecond))
		}
	}
	fmt.Fprintf(w, "\nhow: CPU is utime+stime from /proc/PID/stat (all threads) of the checker's processes, read before and after the window;\n"+
		"checks are the connections the listener process accepted in the window (%d × window / delay_loop would be %.0f);\n"+
		"guest busy is /proc/stat's non-idle time: the checker, the listener process, softirqs and this bench (asleep).\n",
		res.table.n, float64(res.table.n)*res.window.Seconds()/hcDelayLoop)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

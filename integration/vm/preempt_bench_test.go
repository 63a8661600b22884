//go:build vmtest

package vm

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// preemptBenchParams are make bench's knobs for TestPreemptBench, from HALVS_VM_PREEMPT_BENCH
// ("runs=3"; "1" means the defaults).
type preemptBenchParams struct {
	runs int // runs of each scenario per daemon
}

func parsePreemptBench(s string) (preemptBenchParams, error) {
	p := preemptBenchParams{runs: 3}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "", "1":
		case "trace":
			benchTrace = v == "1"
		case "runs":
			p.runs, err = strconv.Atoi(v)
			if err == nil && p.runs < 1 {
				err = fmt.Errorf("runs must be at least 1")
			}
		default:
			err = fmt.Errorf("unknown knob %q", k)
		}
		if err != nil {
			return p, fmt.Errorf("HALVS_VM_PREEMPT_BENCH %q: %v", s, err)
		}
	}
	return p, nil
}

// moveOutage is the client's outage over one move of the VIP: the gap between the starts of
// the last answered request before it and the first answered one after it, and the requests
// that failed in between. open: no request was answered after it within the window.
type moveOutage struct {
	gap    time.Duration
	failed int
	open   bool
}

// survival counts streams over one event: of were alive before it, ok were still echoing
// after it, gone had been reset before it (left out of of).
type survival struct{ ok, of, gone int }

// benchFigures are one daemon's figures over all runs.
type benchFigures struct {
	crash, graceful, preempt                     []moveOutage
	preemptAfter                                 []time.Duration // A's start to its MASTER
	crashStreams, sameStreams, bStreams, wrr, mh survival
}

// TestPreemptBench is make bench's takeover section (scripts/bench.sh, HALVS_VM_PREEMPT_BENCH):
// issue 11's scenario with halvs and then keepalived as both directors, each configured from
// the same keepalived.conf (halvs from its `halvs convert` output), run by run: the client's
// outage over a crash of A, over its graceful stop and over its return and preemption, and
// how many line-echo streams survive each move, with the sync daemon (wrr) and without it
// (wrr; mh with sloppy_tcp). It reports figures; it fails only when the mechanics do (a
// daemon that does not start or take over).
func TestPreemptBench(t *testing.T) {
	spec := os.Getenv("HALVS_VM_PREEMPT_BENCH")
	if spec == "" {
		t.Skip("make bench runs this (HALVS_VM_PREEMPT_BENCH)")
	}
	p, err := parsePreemptBench(spec)
	if err != nil {
		t.Fatal(err)
	}
	lab(t)
	freshDirectors(t)
	startEchoServers(t)
	impls := benchImpls()
	figs := make([]benchFigures, len(impls))
	for run := 1; run <= p.runs; run++ {
		for i, im := range impls {
			t.Run(fmt.Sprintf("%s/run %d", im.name, run), func(t *testing.T) {
				preemptSyncRun(t, im, &figs[i])
				preemptNoSyncRun(t, im, "wrr", &figs[i].wrr)
				preemptNoSyncRun(t, im, "mh", &figs[i].mh)
				t.Logf("%s after run %d: %+v", im.name, run, figs[i])
			})
		}
	}
	printPreemptTable(p, impls, figs)
}

// printPreemptTable prints issue 11's table, one column per daemon, between the lines
// scripts/bench.sh cuts out of the console log.
func printPreemptTable(p preemptBenchParams, impls []benchImpl, figs []benchFigures) {
	version, _ := exec.Command("keepalived", "--version").CombinedOutput()
	kv := strings.Fields(string(version))
	kname := "keepalived"
	if len(kv) > 1 {
		kname = "keepalived " + strings.TrimPrefix(kv[1], "v")
	}
	fmt.Printf("Takeover and preemption (issue 11): directors A (priority 150) and B (100), VRRPv3 advert_int 0.1 s,\n")
	fmt.Printf("DR, two real servers, a new HTTP connection every 13 ms, line-echo streams (a line every 100 ms);\n")
	fmt.Printf("halvs runs the `halvs convert` output of the keepalived.conf %s runs. %d run(s) per row,\n", kname, p.runs)
	fmt.Printf("two streams per row and run; each request bounded by %v; outages: median (min-max).\n", benchProbeTimeout)
	fmt.Printf("VM: qemu TCG, one vCPU for client, directors and real servers: the comparison matters.\n\n")
	rows := []struct {
		what string
		cell func(f *benchFigures) string
	}{
		{"crash of A (process group frozen, link down, killed): client outage", func(f *benchFigures) string { return outageCell(f.crash) }},
		{"graceful stop of A (SIGTERM): client outage", func(f *benchFigures) string { return outageCell(f.graceful) }},
		{"A's return (rebooted) and preemption after the crash (sync on): client outage", func(f *benchFigures) string { return outageCell(f.preempt) }},
		{"A's return after the crash: from its start to MASTER (preemption)", func(f *benchFigures) string { return durationCell(f.preemptAfter) }},
		{"stream opened through A, over the crash takeover to B (sync on)", func(f *benchFigures) string { return f.crashStreams.cell() }},
		{"the same stream when A comes back (rebooted: empty table) and preempts", func(f *benchFigures) string { return f.sameStreams.cell() }},
		{"stream opened through B while A was down, when A preempts (sync on)", func(f *benchFigures) string { return f.bStreams.cell() }},
		{"stream over a crash and a preemption, no sync daemon (wrr)", func(f *benchFigures) string { return f.wrr.cell() }},
		{"stream over a crash and a preemption, no sync, lvs_sloppy_tcp + mh", func(f *benchFigures) string { return f.mh.cell() }},
	}
	head := []string{"what happens"}
	for _, im := range impls {
		head = append(head, strings.Replace(im.name, "keepalived", kname, 1))
	}
	fmt.Printf("| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	for _, r := range rows {
		cells := []string{r.what}
		for i := range impls {
			cells = append(cells, r.cell(&figs[i]))
		}
		fmt.Printf("| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Printf("\n%s has no lvs_sloppy_tcp (it rejects the keyword): for its mh row the bench sets\n", kname)
	fmt.Printf("net.ipv4.vs.sloppy_tcp = 1 by hand on both directors before each start (A's reboot resets it).\n")
	fmt.Println("preempt-bench: done")
}

// outageCell is "0.56 s, 2 failed", with the range over the runs when there are several.
func outageCell(outs []moveOutage) string {
	if len(outs) == 0 {
		return "not measured"
	}
	gaps := make([]time.Duration, len(outs))
	fails := make([]int, len(outs))
	open := 0
	for i, o := range outs {
		gaps[i], fails[i] = o.gap, o.failed
		if o.open {
			open++
		}
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	sort.Ints(fails)
	m := len(outs) / 2
	s := fmt.Sprintf("%.2f s, %d failed", gaps[m].Seconds(), fails[m])
	if len(outs) > 1 {
		s += fmt.Sprintf(" (%.2f–%.2f s, %d–%d)", gaps[0].Seconds(), gaps[len(gaps)-1].Seconds(), fails[0], fails[len(fails)-1])
	}
	if open > 0 {
		s += fmt.Sprintf("; %d run(s) unanswered at the window's end", open)
	}
	return s
}

// durationCell is "0.41 s", with the range over the runs when there are several.
func durationCell(ds []time.Duration) string {
	if len(ds) == 0 {
		return "not measured"
	}
	ds = append([]time.Duration(nil), ds...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	s := fmt.Sprintf("%.2f s", ds[len(ds)/2].Seconds())
	if len(ds) > 1 {
		s += fmt.Sprintf(" (%.2f–%.2f s)", ds[0].Seconds(), ds[len(ds)-1].Seconds())
	}
	return s
}

func (s survival) cell() string {
	if s.of == 0 && s.gone == 0 {
		return "not measured"
	}
	c := fmt.Sprintf("survives %d/%d", s.ok, s.of)
	if s.gone > 0 {
		c += fmt.Sprintf(" (%d reset before)", s.gone)
	}
	return c
}

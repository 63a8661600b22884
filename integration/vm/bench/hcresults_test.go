package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func hcRun(cpu time.Duration, checks int64) hcRow {
	return hcRow{wall: 10 * time.Second, checks: checks, procs: []hcProcCPU{{name: "p", pid: 1, cpu: cpu}},
		busy: 2 * cpu}
}

func TestHCMedianIsByCPUPerCheck(t *testing.T) {
	c := hcChecker{runs: []hcRow{
		hcRun(3*time.Second, 5000), // 600 µs
		hcRun(2*time.Second, 5000), // 400 µs
		hcRun(3*time.Second, 6000), // 500 µs: the median, though not the median CPU
	}}
	if diff := cmp.Diff(c.runs[2], c.median(), cmp.AllowUnexported(hcRow{}, hcProcCPU{})); diff != "" {
		t.Errorf("median (-want +got):\n%s", diff)
	}
}

func TestHCPrintRatios(t *testing.T) {
	res := hcResults{table: hcTable{n: 500, base: 20000}, window: 10 * time.Second, runs: 1, checkers: []hcChecker{
		{name: "keepalived -C -n", runs: []hcRow{hcRun(2*time.Second, 5000)}}, // 400 µs a check
		{name: "halvs run", runs: []hcRow{hcRun(3*time.Second, 5000)}},        // 600 µs
	}}
	var b strings.Builder
	res.print(&b)
	out := b.String()
	for _, want := range []string{
		"halvs run / keepalived -C -n: 1.50 × the CPU per check, 1.50 × the guest's busy time per check",
		"keepalived -C -n  20.0%               400 µs         5000 (500/s)",
		"500 × window / delay_loop would be 5000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

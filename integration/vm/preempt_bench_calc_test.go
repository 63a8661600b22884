//go:build vmtest

package vm

import (
	"errors"
	"testing"
	"time"
)

// TestOutageOf pins TestPreemptBench's outage arithmetic on made-up prober records (it needs
// no lab: it runs wherever the vmtest tag builds).
func TestOutageOf(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	ok := func(n int) request { return request{at: ms(n), server: "rs1"} }
	bad := func(n int) request { return request{at: ms(n), err: errors.New("reset")} }
	end := ms(1000)
	tests := []struct {
		name string
		reqs []request
		want moveOutage
	}{
		{"answers only: the longest gap", []request{ok(10), ok(20), ok(120), ok(130)}, moveOutage{gap: 100 * time.Millisecond}},
		{"one reset between answers", []request{ok(10), ok(20), bad(30), ok(40)}, moveOutage{gap: 20 * time.Millisecond, failed: 1}},
		{"an answer between two failures does not end it", []request{ok(10), bad(20), ok(300), bad(310), ok(320), ok(330)}, moveOutage{gap: 310 * time.Millisecond, failed: 2}},
		{"failures from the window's start", []request{bad(0), bad(250), ok(500)}, moveOutage{gap: 500 * time.Millisecond, failed: 2}},
		{"no answer after the failures", []request{ok(10), bad(20), bad(270)}, moveOutage{gap: 990 * time.Millisecond, failed: 2, open: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outageOf(tt.reqs, t0, end); got != tt.want {
				t.Errorf("outageOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParsePreemptBench(t *testing.T) {
	for _, tt := range []struct {
		in      string
		runs    int
		wantErr bool
	}{{"1", 3, false}, {"runs=5", 5, false}, {"runs=1,trace=1", 1, false}, {"runs=0", 0, true}, {"rounds=2", 0, true}} {
		p, err := parsePreemptBench(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && p.runs != tt.runs) {
			t.Errorf("parsePreemptBench(%q) = %+v, %v; want runs %d, error %v", tt.in, p, err, tt.runs, tt.wantErr)
		}
	}
	benchTrace = false
}

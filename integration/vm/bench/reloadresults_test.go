package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGapsIn(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	const late = 150 * time.Millisecond
	tests := []struct {
		name     string
		ats      []time.Time
		from, to int // ms after t0
		want     gapStats
	}{
		{"steady", at(0, 100, 200, 300, 400), 50, 350, gapStats{max: 100 * time.Millisecond, adverts: 3}},
		{"one late inside", at(0, 100, 260, 360), 50, 350, gapStats{max: 160 * time.Millisecond, late: 1, adverts: 2}},
		{"a gap crossing the start counts", at(0, 200, 300), 150, 350, gapStats{max: 200 * time.Millisecond, late: 1, adverts: 2}},
		{"a gap crossing the end counts", at(0, 100, 400), 50, 200, gapStats{max: 300 * time.Millisecond, late: 1, adverts: 1}},
		{"intervals outside do not", at(0, 500, 600, 700, 1200), 550, 650, gapStats{max: 100 * time.Millisecond, adverts: 1}},
		{"silent to the end", at(0, 100), 50, 400, gapStats{max: 300 * time.Millisecond, late: 1, adverts: 1}},
		{"nothing at all", nil, 0, 100, gapStats{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := gapsIn(tt.ats, t0.Add(time.Duration(tt.from)*time.Millisecond), t0.Add(time.Duration(tt.to)*time.Millisecond), late)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(gapStats{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHalvsReloadLog(t *testing.T) {
	const log = `time=2026-12-07T15:10:20.000Z level=INFO msg="IPVS table updated" operations=34000
time=2026-12-07T15:10:26.010Z level=INFO msg="reloading configuration" config=/tmp/rl-halvs.conf
time=2026-12-07T15:10:27.250Z level=INFO msg="configuration reloaded" instances=1 virtual_servers=2000
time=2026-12-07T15:10:27.300Z level=INFO msg="IPVS table updated" operations=1
`
	t0 := time.Date(2026, 12, 7, 15, 10, 26, 0, time.UTC)
	done, ops, err := halvsReloadLog(log, t0)
	if err != nil {
		t.Fatal(err)
	}
	if done != 1250*time.Millisecond || ops != 1 {
		t.Errorf("reloaded after %v with %d operations, want 1.25s and 1", done, ops)
	}
	if _, _, err := halvsReloadLog(log, t0.Add(2*time.Second)); err == nil {
		t.Error("no error for a log without a reload after t0")
	}
}

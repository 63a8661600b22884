package vrrp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/clock/clocktest"
)

func TestScriptTrackerRiseFall(t *testing.T) {
	tests := []struct {
		name       string
		rise, fall int
		results    []bool
		want       []bool // reports, in order
	}{
		{name: "first success settles up", rise: 1, fall: 1, results: []bool{true, true}, want: []bool{true}},
		{name: "rise 2", rise: 2, fall: 3, results: []bool{true, false, true, true}, want: []bool{true}},
		{name: "fall 3 after up", rise: 1, fall: 3, results: []bool{true, false, false, true, false, false, false}, want: []bool{true, false}},
		{name: "first failures settle down", rise: 2, fall: 2, results: []bool{false, false, true, true}, want: []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []bool
			s := NewScriptTracker(ScriptConfig{Name: "chk", Rise: tt.rise, Fall: tt.fall}, nil, nil, testLogger(t),
				func(up bool) { got = append(got, up) })
			for _, r := range tt.results {
				s.Result(r)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reports (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScriptTrackerRunsPeriodically(t *testing.T) {
	clock := clocktest.New(t0)
	runs := 0
	fail := errors.New("exit status 1")
	run := func(ctx context.Context, argv []string) error {
		runs++
		if runs >= 3 {
			return fail
		}
		return nil
	}
	var got []bool
	s := NewScriptTracker(ScriptConfig{Name: "chk", Argv: []string{"/bin/true"}, Interval: 2 * time.Second, Fall: 2},
		run, clock, testLogger(t), func(up bool) { got = append(got, up) })
	s.Start()
	clock.AdvanceSettled(7*time.Second, func() {})
	s.Stop()
	if runs != 4 { // at 0, 2, 4 and 6 s
		t.Errorf("%d runs, want 4", runs)
	}
	if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
}

func TestTrackStateWeights(t *testing.T) {
	tracks := []Track{
		{Kind: TrackInterface, Name: "eth1", Weight: 0},
		{Kind: TrackScript, Name: "up_bonus", Weight: 20},
		{Kind: TrackScript, Name: "down_malus", Weight: -30},
	}
	var s trackState
	delta, faults := s.eval(tracks)
	if delta != 0 || len(faults) != 0 {
		t.Errorf("unknown trackers: delta %d faults %v, want none", delta, faults)
	}
	s.set(TrackScript, "up_bonus", true)
	s.set(TrackScript, "down_malus", false)
	s.set(TrackInterface, "eth1", false)
	delta, faults = s.eval(tracks)
	if delta != -10 || !faults["link eth1"] {
		t.Errorf("delta %d faults %v, want -10 and link eth1", delta, faults)
	}
}

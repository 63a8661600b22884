package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFileEffect(t *testing.T) {
	type effect struct {
		Delta int
		Fault bool
	}
	tests := []struct {
		name    string
		value   int
		weight  int
		reverse bool
		want    effect
	}{
		{name: "weight 0, value 0 is ok", value: 0, weight: 0, want: effect{0, false}},
		{name: "weight 0, any other value is a fault", value: 7, weight: 0, want: effect{0, true}},
		{name: "weight 0, negative value is a fault", value: -1, weight: 0, want: effect{0, true}},
		{name: "weight 0 reverse, value 0 is a fault", value: 0, weight: 0, reverse: true, want: effect{0, true}},
		{name: "weight 0 reverse, non-zero is ok", value: 3, weight: 0, reverse: true, want: effect{0, false}},
		{name: "value times weight", value: 5, weight: 2, want: effect{10, false}},
		{name: "negative value lowers", value: -20, weight: 1, want: effect{-20, false}},
		{name: "reverse negates", value: 5, weight: 2, reverse: true, want: effect{-10, false}},
		{name: "above 253 is limited", value: 300, weight: 1, want: effect{253, false}},
		{name: "-253 still lowers", value: -253, weight: 1, want: effect{-253, false}},
		{name: "-254 is a fault", value: -254, weight: 1, want: effect{0, true}},
		{name: "far below is a fault", value: -100, weight: 10, want: effect{0, true}},
		{name: "no overflow on large values", value: 1 << 30, weight: 254, want: effect{253, false}},
		{name: "no overflow negative", value: -(1 << 30), weight: 254, want: effect{0, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got effect
			got.Delta, got.Fault = fileEffect(tt.value, tt.weight, tt.reverse)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fileEffect(%d, %d, %v) (-want +got):\n%s", tt.value, tt.weight, tt.reverse, diff)
			}
		})
	}
}

func TestProcessEffect(t *testing.T) {
	type effect struct {
		Delta int
		Fault bool
	}
	tests := []struct {
		name    string
		up      bool
		weight  int
		reverse bool
		want    effect
	}{
		{name: "weight 0, quorum", up: true, want: effect{0, false}},
		{name: "weight 0, no quorum is a fault", up: false, want: effect{0, true}},
		{name: "weight 0 reverse, quorum is a fault", up: true, reverse: true, want: effect{0, true}},
		{name: "weight 0 reverse, no quorum ok", up: false, reverse: true, want: effect{0, false}},
		{name: "positive weight added with quorum", up: true, weight: 10, want: effect{10, false}},
		{name: "positive weight, no quorum", up: false, weight: 10, want: effect{0, false}},
		{name: "negative weight, quorum", up: true, weight: -10, want: effect{0, false}},
		{name: "negative weight applied without quorum", up: false, weight: -10, want: effect{-10, false}},
		// keepalived multiplies by -1: a reversed positive weight is subtracted while the
		// quorum is met, a reversed negative one added while it is lost.
		{name: "reverse positive, quorum", up: true, weight: 10, reverse: true, want: effect{-10, false}},
		{name: "reverse positive, no quorum", up: false, weight: 10, reverse: true, want: effect{0, false}},
		{name: "reverse negative, no quorum", up: false, weight: -10, reverse: true, want: effect{10, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got effect
			got.Delta, got.Fault = processEffect(tt.up, tt.weight, tt.reverse)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("processEffect(%v, %d, %v) (-want +got):\n%s", tt.up, tt.weight, tt.reverse, diff)
			}
		})
	}
}

func TestTrackStateFilesAndProcesses(t *testing.T) {
	tracks := []Track{
		{Kind: TrackFile, Name: "drain", Weight: -10},
		{Kind: TrackFile, Name: "stop", Weight: 0},
		{Kind: TrackProcess, Name: "haproxy", Weight: 20},
	}
	var s trackState
	if delta, faults := s.eval(tracks); delta != 0 || len(faults) != 0 {
		t.Errorf("unknown trackers: delta %d faults %v, want none", delta, faults)
	}
	s.setValue(TrackFile, "drain", 3)
	s.setValue(TrackFile, "stop", 0)
	s.set(TrackProcess, "haproxy", true)
	delta, faults := s.eval(tracks)
	if diff := cmp.Diff(map[string]bool{"file drain": false, "file stop": false, "process haproxy": false}, faults); delta != -10 || diff != "" {
		t.Errorf("delta %d, want -10; faults (-want +got):\n%s", delta, diff)
	}
	s.setValue(TrackFile, "stop", 1)
	s.set(TrackProcess, "haproxy", false)
	delta, faults = s.eval(tracks)
	if diff := cmp.Diff(map[string]bool{"file drain": false, "file stop": true, "process haproxy": false}, faults); delta != -30 || diff != "" {
		t.Errorf("delta %d, want -30; faults (-want +got):\n%s", delta, diff)
	}
	if s.setValue(TrackFile, "drain", 3) {
		t.Error("the same value again reported a change")
	}
}

func TestTrackedFileAndProcessMoveAnInstance(t *testing.T) {
	cfgA := vi1(150)
	cfgA.Track = []Track{{Kind: TrackFile, Name: "drain", Weight: -1}, {Kind: TrackProcess, Name: "haproxy", Weight: 0}}
	l, a, b := pair(t, cfgA, vi1(100))
	inst := a.r.Instance("VI_1")
	inst.SetTrackedValue(TrackFile, "drain", 0)
	inst.SetTracked(TrackProcess, "haproxy", true)
	l.advance(5 * time.Second)
	if state(a) != StateMaster {
		t.Fatalf("A is %v, want MASTER", state(a))
	}
	inst.SetTrackedValue(TrackFile, "drain", 60) // 150 - 60 = 90 < 100
	l.advance(5 * time.Second)
	if p := inst.Status().Priority; p != 90 {
		t.Errorf("priority %d, want 90", p)
	}
	if state(a) != StateBackup || state(b) != StateMaster {
		t.Errorf("after the file said 60: A=%v B=%v, want BACKUP MASTER", state(a), state(b))
	}
	inst.SetTrackedValue(TrackFile, "drain", 0)
	inst.SetTracked(TrackProcess, "haproxy", false)
	l.advance(5 * time.Second)
	if st := inst.Status(); st.State != StateFault || st.Priority != 150 {
		t.Errorf("process quorum lost: %v priority %d, want FAULT 150", st.State, st.Priority)
	}
	inst.SetTracked(TrackProcess, "haproxy", true)
	l.advance(5 * time.Second)
	if state(a) != StateMaster {
		t.Errorf("quorum back: A is %v, want MASTER", state(a))
	}
}

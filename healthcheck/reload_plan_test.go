package healthcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestPlanProbes(t *testing.T) {
	// Keys read "target/timing"; the spec key is the target.
	run := func(key, spec string, hasRun bool) runningProbe {
		return runningProbe{probeID: probeID{key: key, specKey: spec}, hasRun: hasRun}
	}
	want := func(key, spec string) wantedProbe { return wantedProbe{probeID: probeID{key: key, specKey: spec}} }
	tests := []struct {
		name    string
		running []runningProbe
		wanted  []wantedProbe
		want    probePlan
	}{
		{
			name:   "start: every probe is new",
			wanted: []wantedProbe{want("a/1s", "a"), want("b/1s", "b")},
			want:   probePlan{Start: []string{"a/1s", "b/1s"}},
		},
		{
			name:    "the same set is kept whole",
			running: []runningProbe{run("a/1s", "a", true), run("b/1s", "b", false)},
			wanted:  []wantedProbe{want("b/1s", "b"), want("a/1s", "a")},
			want:    probePlan{Keep: []string{"b/1s", "a/1s"}},
		},
		{
			name:    "a probe no longer wanted retires",
			running: []runningProbe{run("a/1s", "a", true), run("b/1s", "b", true), run("c/1s", "c", true)},
			wanted:  []wantedProbe{want("b/1s", "b")},
			want:    probePlan{Keep: []string{"b/1s"}, Retire: []string{"a/1s", "c/1s"}},
		},
		{
			name:    "new timing for a checked target swaps, the old probe retires",
			running: []runningProbe{run("a/1s", "a", true)},
			wanted:  []wantedProbe{want("a/5s", "a")},
			want:    probePlan{Swap: map[string]string{"a/5s": "a/1s"}, Retire: []string{"a/1s"}},
		},
		{
			name:    "new timing for a target not yet checked starts afresh",
			running: []runningProbe{run("a/1s", "a", false)},
			wanted:  []wantedProbe{want("a/5s", "a")},
			want:    probePlan{Start: []string{"a/5s"}, Retire: []string{"a/1s"}},
		},
		{
			name:    "a kept probe is also the source of a swap",
			running: []runningProbe{run("a/1s", "a", true)},
			wanted:  []wantedProbe{want("a/1s", "a"), want("a/5s", "a")},
			want:    probePlan{Keep: []string{"a/1s"}, Swap: map[string]string{"a/5s": "a/1s"}},
		},
		{
			name:    "the first running probe that has run is the source, shared by two new ones",
			running: []runningProbe{run("a/1s", "a", false), run("a/2s", "a", true), run("a/3s", "a", true)},
			wanted:  []wantedProbe{want("a/5s", "a"), want("a/9s", "a")},
			want: probePlan{Swap: map[string]string{"a/5s": "a/2s", "a/9s": "a/2s"},
				Retire: []string{"a/1s", "a/2s", "a/3s"}},
		},
		{
			name:    "mixed: kept, swapped, started and retired in one reload",
			running: []runningProbe{run("a/1s", "a", true), run("b/1s", "b", true), run("c/1s", "c", true)},
			wanted:  []wantedProbe{want("d/1s", "d"), want("c/1s", "c"), want("b/2s", "b"), want("e/1s", "e")},
			want: probePlan{Keep: []string{"c/1s"}, Swap: map[string]string{"b/2s": "b/1s"},
				Start: []string{"d/1s", "e/1s"}, Retire: []string{"a/1s", "b/1s"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planProbes(tt.running, tt.wanted)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("planProbes (-want +got):\n%s", diff)
			}
		})
	}
}

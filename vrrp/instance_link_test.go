package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDontTrackPrimary: with dont_track_primary the instance's own interface going down is
// no fault, on the MASTER (A) and on the BACKUP (B); a track_interface entry still is, also
// when it names the instance's own interface.
func TestDontTrackPrimary(t *testing.T) {
	dontTrack := func(c InstanceConfig) InstanceConfig { c.DontTrackPrimary = true; return c }
	tracking := func(c InstanceConfig, dev string) InstanceConfig {
		c.Track = []Track{{Kind: TrackInterface, Name: dev}}
		return c
	}
	type states struct{ A, B State }
	tests := []struct {
		name       string
		cfgA, cfgB InstanceConfig
		host, dev  string // the link that goes down: "A" or "B", and which
		down, up   states // after the link goes down, and after it comes back
	}{
		{name: "own link on the master faults by default", cfgA: vi1(150), cfgB: vi1(100), host: "A", dev: "eth0",
			down: states{StateFault, StateMaster}, up: states{StateMaster, StateBackup}},
		{name: "own link on the master", cfgA: dontTrack(vi1(150)), cfgB: vi1(100), host: "A", dev: "eth0",
			down: states{StateMaster, StateBackup}, up: states{StateMaster, StateBackup}},
		{name: "own link on the backup", cfgA: vi1(150), cfgB: dontTrack(vi1(100)), host: "B", dev: "eth0",
			down: states{StateMaster, StateBackup}, up: states{StateMaster, StateBackup}},
		{name: "track_interface still faults", cfgA: tracking(dontTrack(vi1(150)), "eth1"), cfgB: vi1(100), host: "A", dev: "eth1",
			down: states{StateFault, StateMaster}, up: states{StateMaster, StateBackup}},
		{name: "track_interface naming the own link", cfgA: tracking(dontTrack(vi1(150)), "eth0"), cfgB: vi1(100), host: "A", dev: "eth0",
			down: states{StateFault, StateMaster}, up: states{StateMaster, StateBackup}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, a, b := pair(t, tt.cfgA, tt.cfgB)
			h := map[string]*host{"A": a, "B": b}[tt.host]
			h.links.Set(tt.dev, false)
			l.advance(5 * time.Second)
			if diff := cmp.Diff(tt.down, states{state(a), state(b)}); diff != "" {
				t.Errorf("after %s on %s went down (-want +got):\n%s", tt.dev, tt.host, diff)
			}
			h.links.Set(tt.dev, true)
			l.advance(5 * time.Second)
			if diff := cmp.Diff(tt.up, states{state(a), state(b)}); diff != "" {
				t.Errorf("after %s on %s came back (-want +got):\n%s", tt.dev, tt.host, diff)
			}
		})
	}
}

// TestDontTrackPrimaryReloads: dont_track_primary set by a reload in place applies to the
// next link change without a restart.
func TestDontTrackPrimaryReloads(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	cfg := vi1(150)
	cfg.DontTrackPrimary = true
	a.apply(t, cfg)
	l.settle()
	a.links.Set("eth0", false)
	l.advance(5 * time.Second)
	if state(a) != StateMaster || state(b) != StateBackup {
		t.Errorf("after the reload and a link down: A=%v B=%v, want MASTER BACKUP", state(a), state(b))
	}
	if c := a.r.Instance("VI_1").Counters(); c.Transitions[StateMaster] != 1 {
		t.Errorf("A entered MASTER %d times, want once (the reload restarted nothing)", c.Transitions[StateMaster])
	}
}

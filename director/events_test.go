package director

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/healthcheck"
)

// TestEventRingKeepsTheNewest: the ring holds EventsKept events, newest first, and forgets
// the oldest.
func TestEventRingKeepsTheNewest(t *testing.T) {
	var r eventRing
	if got := r.list(); len(got) != 0 {
		t.Fatalf("empty ring lists %v", got)
	}
	for i := range EventsKept + 5 {
		r.add(control.Event{Subject: fmt.Sprint(i)})
	}
	got := r.list()
	var subjects []string
	for _, e := range got {
		subjects = append(subjects, e.Subject)
	}
	var want []string
	for i := EventsKept + 4; i >= 5; i-- {
		want = append(want, fmt.Sprint(i))
	}
	if diff := cmp.Diff(want, subjects); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestHealthEvents: the real-server and quorum changes a page reader cares about, in the
// log's words; the state reported for a new server and weight changes are not history.
func TestHealthEvents(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rs := netip.MustParseAddrPort("10.0.0.2:80")
	tests := []struct {
		name string
		ev   healthcheck.Event
		want []control.Event
	}{
		{"down", healthcheck.Event{Type: healthcheck.RealServerDown, Time: at, VirtualServer: "10.0.0.1:80/TCP", RealServer: rs, Reason: "tcp_check: connection refused"},
			[]control.Event{{At: at, Kind: "check", Subject: "10.0.0.1:80/TCP → 10.0.0.2:80", State: "down", Message: "real server 10.0.0.2:80 down: tcp_check: connection refused"}}},
		{"down inhibited", healthcheck.Event{Type: healthcheck.RealServerDown, Time: at, VirtualServer: "10.0.0.1:80/TCP", RealServer: rs, Inhibit: true},
			[]control.Event{{At: at, Kind: "check", Subject: "10.0.0.1:80/TCP → 10.0.0.2:80", State: "down", Message: "real server 10.0.0.2:80 down (weight 0, inhibit_on_failure)"}}},
		{"up", healthcheck.Event{Type: healthcheck.RealServerUp, Time: at, VirtualServer: "10.0.0.1:80/TCP", RealServer: rs, Weight: 3},
			[]control.Event{{At: at, Kind: "check", Subject: "10.0.0.1:80/TCP → 10.0.0.2:80", State: "up", Message: "real server 10.0.0.2:80 up, weight 3"}}},
		{"quorum lost", healthcheck.Event{Type: healthcheck.QuorumLost, Time: at, VirtualServer: "fwmark:1", Weight: 1, SorryServer: true},
			[]control.Event{{At: at, Kind: "quorum", Subject: "fwmark:1", State: "lost", Message: "quorum lost (alive weight 1), sorry server in"}}},
		{"quorum regained", healthcheck.Event{Type: healthcheck.QuorumRegained, Time: at, VirtualServer: "fwmark:1", Weight: 4},
			[]control.Event{{At: at, Kind: "quorum", Subject: "fwmark:1", State: "regained", Message: "quorum regained (alive weight 4)"}}},
		{"initial state", healthcheck.Event{Type: healthcheck.RealServerUp, Time: at, VirtualServer: "10.0.0.1:80/TCP", RealServer: rs, Initial: true}, []control.Event{}},
		{"weight changed", healthcheck.Event{Type: healthcheck.WeightChanged, Time: at, VirtualServer: "10.0.0.1:80/TCP", RealServer: rs, Weight: 2}, []control.Event{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Director{}
			d.noteHealthEvent(tt.ev)
			if diff := cmp.Diff(tt.want, d.events.list()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatusEvents: a running director's status lists its instance's election and the
// reloads it was told of, newest first, and the last reload's outcome.
func TestStatusEvents(t *testing.T) {
	k := newKernel()
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "  priority          = 200\n")), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	defer stop()
	k.clock.until(t, "MASTER", func() bool {
		st := d.Status(t.Context())
		return len(st.Instances) == 1 && st.Instances[0].State == "MASTER"
	})
	if st := d.Status(t.Context()); st.LastReload != nil {
		t.Errorf("last reload before any: %+v", st.LastReload)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d.NoteReload(at, "/etc/halvs/halvs.hcl", []string{"halvs.hcl:2:11: error: one", "halvs.hcl:3:1: error: two"})
	d.NoteReload(at.Add(time.Second), "/etc/halvs/halvs.hcl", nil)
	st := d.Status(t.Context())
	if diff := cmp.Diff(&control.Reload{At: at.Add(time.Second), Result: "success"}, st.LastReload); diff != "" {
		t.Errorf("last reload (-want +got):\n%s", diff)
	}
	var got []control.Event
	for _, e := range st.Events {
		if e.Kind == "vrrp" {
			e.At = time.Time{} // the fake clock's
		}
		got = append(got, e)
	}
	want := []control.Event{
		{At: at.Add(time.Second), Kind: "reload", Subject: "/etc/halvs/halvs.hcl", State: "success", Message: "configuration reloaded"},
		{At: at, Kind: "reload", Subject: "/etc/halvs/halvs.hcl", State: "failure",
			Message: "reload refused, the running configuration is kept: halvs.hcl:2:11: error: one (and 1 more)"},
	}
	if diff := cmp.Diff(want, got[:2]); diff != "" {
		t.Errorf("reload events (-want +got):\n%s", diff)
	}
	last := got[len(got)-1]
	if last.Kind != "vrrp" || last.Subject != "VI_1" || got[2].State != "MASTER" {
		t.Errorf("the election is not in the events: %+v", got)
	}
}

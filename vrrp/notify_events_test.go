package vrrp

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// eventLines are the FIFO lines of the events (not the state changes) h reported.
func eventLines(h *host) []string {
	var out []string
	for _, c := range h.reported() {
		if c.Event != "" {
			out = append(out, c.FIFOLine())
		}
	}
	return out
}

// TestNotifyMasterRxLowerPri: a MASTER hearing a lower-priority master (a healed partition)
// runs notify_master_rx_lower_pri's script, with no added arguments, and writes the
// MASTER_RX_LOWER_PRI line; the lower one, which steps down, does neither.
func TestNotifyMasterRxLowerPri(t *testing.T) {
	cfg := func(prio uint8) InstanceConfig {
		c := vi1(prio)
		c.Notify.MasterRxLowerPri = []string{"/bin/fix-addresses", "now"}
		return c
	}
	l, a, b := pair(t, cfg(150), cfg(100))
	l.seg.Cut(func(from, to netip.Addr) bool { return true })
	l.advance(5 * time.Second)
	if len(eventLines(a)) != 0 || slices.ContainsFunc(a.script.all(), func(s []string) bool { return s[0] == "/bin/fix-addresses" }) {
		t.Fatalf("A notified a lower priority while it heard none: %q", eventLines(a))
	}
	l.seg.Cut(nil)
	l.advance(time.Second)

	lines := eventLines(a)
	if len(lines) == 0 || !slices.Contains(lines, "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\n") {
		t.Errorf("A's event lines %q, want MASTER_RX_LOWER_PRI 150", lines)
	}
	if !slices.ContainsFunc(a.script.all(), func(s []string) bool { return slices.Equal(s, []string{"/bin/fix-addresses", "now"}) }) {
		t.Errorf("A's scripts %q, want /bin/fix-addresses now", a.script.all())
	}
	if got := eventLines(b); len(got) != 0 {
		t.Errorf("B (which stepped down) wrote event lines %q", got)
	}
}

// TestNotifyPriorityChanges: with notify_priority_changes, each change of the effective
// priority by a tracker writes MASTER_PRIORITY or BACKUP_PRIORITY with the new priority;
// without it, nothing.
func TestNotifyPriorityChanges(t *testing.T) {
	for _, on := range []bool{true, false} {
		cfg := vi1(150)
		cfg.Track = []Track{{Kind: TrackScript, Name: "chk", Weight: -60}}
		cfg.Notify.PriorityChanges = on
		l, a, _ := pair(t, cfg, vi1(100))
		inst := a.r.Instance("VI_1")
		inst.SetTracked(TrackScript, "chk", true) // +0: no change, no line
		l.advance(time.Second)
		inst.SetTracked(TrackScript, "chk", false) // 90 while MASTER, then BACKUP
		l.advance(5 * time.Second)
		inst.SetTracked(TrackScript, "chk", true) // 150 while BACKUP
		l.advance(5 * time.Second)
		var want []string
		if on {
			want = []string{"INSTANCE \"VI_1\" MASTER_PRIORITY 90\n", "INSTANCE \"VI_1\" BACKUP_PRIORITY 150\n"}
		}
		if diff := cmp.Diff(want, eventLines(a)); diff != "" {
			t.Errorf("notify_priority_changes %v: event lines (-want +got):\n%s", on, diff)
		}
	}
}

// TestNotifyDeleted: an instance a reload removes is notified as DELETED (FIFO line, generic
// notify script, notify_deleted's script) with notify_deleted, as STOP without it; a
// shutdown is STOP either way.
func TestNotifyDeleted(t *testing.T) {
	for _, tt := range []struct {
		name      string
		deleted   bool
		wantState string
		wantRun   []string // argv[0] of the scripts run at the removal
	}{
		{"notify_deleted", true, "DELETED", []string{"/bin/gone", "/bin/notify"}},
		{"without", false, "STOP", []string{"/bin/stop", "/bin/notify"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			h := l.host(hostA)
			gone, kept := vi1(255), vi1(150)
			gone.Notify = NotifyConfig{Stop: []string{"/bin/stop"}, Notify: []string{"/bin/notify"}, NotifyDeleted: tt.deleted}
			if tt.deleted {
				gone.Notify.Deleted = []string{"/bin/gone"}
			}
			kept.Name, kept.VRID, kept.VIPs = "VI_2", 52, []VIP{{Prefix: netip.MustParsePrefix("10.10.10.23/32")}}
			h.apply(t, gone, kept)
			l.advance(5 * time.Second)
			before := len(h.script.all())
			h.apply(t, kept) // VI_1 goes
			l.settle()
			var ran []string
			for _, s := range h.script.all()[before:] {
				ran = append(ran, s[0])
			}
			if diff := cmp.Diff(tt.wantRun, ran); diff != "" {
				t.Errorf("scripts at the removal (-want +got):\n%s", diff)
			}
			if last := h.script.all()[len(h.script.all())-1]; !slices.Contains(last, tt.wantState) {
				t.Errorf("generic notify %q, want the state %s", last, tt.wantState)
			}
			var vi1Lines []string
			for _, line := range strings.SplitAfter(h.fifoText(), "\n") {
				if strings.HasPrefix(line, `INSTANCE "VI_1" `) {
					vi1Lines = append(vi1Lines, line)
				}
			}
			if want := "INSTANCE \"VI_1\" " + tt.wantState + " 255\n"; len(vi1Lines) == 0 || vi1Lines[len(vi1Lines)-1] != want {
				t.Errorf("VI_1's FIFO lines %q, want the last %q", vi1Lines, want)
			}
			// Stopping the rest is a STOP, whatever notify_deleted says.
			h.r.Shutdown()
			if !strings.HasSuffix(h.fifoText(), "INSTANCE \"VI_2\" STOP 150\n") {
				t.Errorf("FIFO after shutdown %q, want VI_2 STOP", h.fifoText())
			}
		})
	}
}

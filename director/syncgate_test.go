package director

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSyncGateHandoverWait(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		delay       time.Duration
		masterSince time.Time
		master      bool
		now         time.Time
		want        time.Duration
	}{
		{"master for 1 s of 5", 5 * time.Second, t0, true, t0.Add(time.Second), 4 * time.Second},
		{"master for longer than the delay", 5 * time.Second, t0, true, t0.Add(6 * time.Second), 0},
		{"not master", 5 * time.Second, t0, false, t0.Add(time.Second), 0},
		{"gate off", 0, t0, true, t0.Add(time.Second), 0},
		{"never master", 5 * time.Second, time.Time{}, true, t0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &syncGate{delay: tt.delay, masterSince: tt.masterSince}
			if got := g.handoverWait(tt.now, tt.master); got != tt.want {
				t.Errorf("handoverWait = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSyncGateSysctls: with the sync daemon and the gate, the director has the master resend
// connections by time (sync_period 0, sync_refresh_period 1 s) and sets sloppy_tcp when asked;
// with lvs_sync_preempt_delay 0 it leaves the sync settings alone.
func TestSyncGateSysctls(t *testing.T) {
	tests := []struct {
		name   string
		global string
		want   map[string]string
	}{
		{"gate on, sloppy_tcp", "lvs_sloppy_tcp = true\n",
			map[string]string{"sync_threshold": "3 0", "sync_refresh_period": "1", "sloppy_tcp": "1"}},
		{"gate off", "lvs_sync_preempt_delay = 0\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKernel()
			cfg := owner("VI_1", 51, "10.0.0.1/32", "") + strings.Replace(lvsConfig, "global {\n", "global {\n"+tt.global, 1)
			d, err := New(parse(t, cfg), k.options(t))
			if err != nil {
				t.Fatal(err)
			}
			running(t, d)
			masterOf(t, d, "VI_1")
			eventually(t, "sync daemon started", func() bool { ds, _ := k.ipvs.SyncDaemons(); return len(ds) == 1 })
			k.mu.Lock()
			got := k.sysctl
			k.mu.Unlock()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sysctls (-want +got):\n%s", diff)
			}
		})
	}
}

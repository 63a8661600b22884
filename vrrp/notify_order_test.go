package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestNoStaleNotifyMasterAfterStop is issue 17's reproduction at the instance: while
// notify_backup hangs, the instance becomes MASTER and is then stopped. Its VIP is released
// and STOP reported at once; when notify_backup ends, notify_stop runs, and the notify_master
// that was waiting never does.
func TestNoStaleNotifyMasterAfterStop(t *testing.T) {
	l := newLab(t)
	l.ignoreNotify = true
	a := l.host(hostA)
	gate := make(chan struct{})
	a.script.gate = gate
	cfg := vi1(150)
	cfg.Notify = NotifyConfig{Backup: []string{"/bin/backup"}, Master: []string{"/bin/master"}, Stop: []string{"/bin/stop"}}
	a.apply(t, cfg)
	l.advance(5 * time.Second)
	if s := a.r.Instance("VI_1").Status().State; s != StateMaster {
		t.Fatalf("VI_1 is %v, want MASTER", s)
	}

	shut := make(chan struct{})
	go func() { a.r.Shutdown(); close(shut) }()
	deadline := time.Now().Add(10 * time.Second)
	for !a.stopReported() {
		if time.Now().After(deadline) {
			close(gate)
			t.Fatal("STOP not reported while notify_backup hangs")
		}
		time.Sleep(time.Millisecond)
	}
	if a.addr.Has(vipPfx) {
		t.Error("the VIP is still there after the STOP")
	}
	close(gate)
	<-shut
	var got []string
	for _, argv := range a.script.all() {
		got = append(got, argv[0])
	}
	if diff := cmp.Diff([]string{"/bin/backup", "/bin/stop"}, got); diff != "" {
		t.Errorf("notify scripts run (-want +got):\n%s", diff)
	}
	if got := a.r.Instance("VI_1"); got != nil {
		t.Errorf("VI_1 still running after Shutdown")
	}
}

// stopReported reports whether the host has reported an instance's STOP.
func (h *host) stopReported() bool {
	for _, c := range h.reported() {
		if c.To == StateStop {
			return true
		}
	}
	return false
}

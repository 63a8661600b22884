//go:build integration

package integration

import (
	"fmt"
	"testing"
	"time"
)

// TestInteropKeepalived runs halvs against the real keepalived, each as master and as backup,
// for VRRPv2 with PASS authentication (the seed) and for VRRPv3: the master is elected and
// the backup accepts its adverts (no takeover while it lives); the backup takes over when the
// master's process is killed; the master preempts back when it returns; and on a graceful stop
// the backup takes over from the priority-0 advert. Every takeover crosses implementations.
func TestInteropKeepalived(t *testing.T) {
	versions := []struct {
		name string
		in   func(priority int) Instance
	}{
		{"v2-pass", seed},
		{"v3", fast},
	}
	roles := []struct{ master, backup Impl }{
		{Halvs, Keepalived},
		{Keepalived, Halvs},
	}
	for _, v := range versions {
		for _, r := range roles {
			t.Run(fmt.Sprintf("%s/%s-master/%s-backup", v.name, r.master, r.backup), func(t *testing.T) {
				p := newPair(t, VIP4, Halvs, Keepalived)
				p.electCrashReturnStop(t, r.master, r.backup, v.in(150), v.in(100))
			})
		}
	}
}

// electCrashReturnStop runs the interop cycle: the master (a, on A) and the backup (b, on B)
// elect A; A is killed and B takes over; A comes back and preempts; A stops gracefully,
// giving up the VIP, and B takes over again.
func (p *pair) electCrashReturnStop(t *testing.T, master, backup Impl, a, b Instance) {
	t.Helper()
	wait := 3*a.MasterDownInterval() + 3*time.Second

	mark := p.obs.Mark()
	da := p.start(master, p.lab.A, a)
	p.start(backup, p.lab.B, b)
	p.expectMaster(mark, p.lab.A, wait, 3*a.Interval+time.Second)

	mark = p.obs.Mark()
	da.Kill()
	p.expectMaster(mark, p.lab.B, wait, 2*a.Interval)

	mark = p.obs.Mark()
	da = p.start(master, p.lab.A, a)
	p.expectMaster(mark, p.lab.A, wait, 3*a.Interval)

	mark = p.obs.Mark()
	if err := da.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if p.lab.A.HasAddr(p.vip) {
		t.Errorf("A (%s) still holds %s after a graceful stop", master, p.vip)
	}
	p.expectMaster(mark, p.lab.B, wait, 2*a.Interval)
}

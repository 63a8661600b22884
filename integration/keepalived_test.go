//go:build integration

package integration

import (
	"testing"
	"time"
)

// TestKeepalivedPair proves the harness with the real keepalived on both directors: one
// master is elected, the client's neighbour entry follows the VIP's gratuitous ARP to the
// backup when the master's VRRP process is killed, back when a preempting higher priority
// returns, and to the backup again on a graceful stop; the VIP is never on both.
func TestKeepalivedPair(t *testing.T) {
	p := newPair(t, VIP4, Keepalived)
	a := Instance{Priority: 150, AuthPass: "1111"}
	b := Instance{Priority: 100, AuthPass: "1111"}

	mark := p.obs.Mark()
	da := p.start(Keepalived, p.lab.A, a)
	p.start(Keepalived, p.lab.B, b)
	p.expectMaster(mark, p.lab.A, 10*time.Second, 2*time.Second)

	mark = p.obs.Mark()
	da.Kill()
	p.expectMaster(mark, p.lab.B, 10*time.Second, time.Second)

	mark = p.obs.Mark()
	da = p.start(Keepalived, p.lab.A, a)
	p.expectMaster(mark, p.lab.A, 10*time.Second, time.Second)

	// A graceful stop sends priority 0 and releases the VIP.
	mark = p.obs.Mark()
	if err := da.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if p.lab.A.HasAddr(p.vip) {
		t.Errorf("A still holds %s after a graceful stop", p.vip)
	}
	if _, _, err := p.obs.WaitFor(mark, time.Second, func(e Event) bool {
		return AdvertFrom(p.lab.A.MAC)(e) && e.Priority == 0
	}); err != nil {
		t.Errorf("no priority-0 advert from A on stop: %v\n%s", err, p.dump(mark))
	}
	p.expectMaster(mark, p.lab.B, 5*time.Second, time.Second)
}

//go:build integration

package integration

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestGarpGroupPacesInstances: one halvs with two instances on one interface, both address
// owners, so both become MASTER at once and announce together (3 gratuitous ARPs each, an
// announcement being halvs' ARP request and reply pair). With the interface in a
// garp_group of garp_interval 50ms, the six announcements leave the director's interface
// (captured there by a packet socket, stamped as they are sent) at least 50ms apart,
// across the two instances.
func TestGarpGroupPacesInstances(t *testing.T) {
	const gap = 50 * time.Millisecond
	p := newPair(t, VIP4, Halvs)
	a := p.lab.A
	vip2 := netip.MustParseAddr("10.10.10.23")
	in := fast(255)
	in.State = "MASTER"
	in.HCLGlobal = fmt.Sprintf("  garp_group {\n    garp_interval = %q\n    interface = %q\n  }\n", gap.String(), a.If)
	in.HCLInstance = "  garp_master_repeat = 3\n  garp_master_delay = 0\n"
	in.HCLTop = fmt.Sprintf(`vrrp_instance "VI_2" {
  state = "MASTER"
  interface = %q
  virtual_router_id = 52
  priority = 255
  advert_int = "200ms"
  version = 3
  garp_master_repeat = 3
  garp_master_delay = 0
  virtual_ipaddress = ["%s/32"]
}

`, a.If, vip2)
	sent, err := ObserveSent(a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sent.Close() })
	p.start(Halvs, a, in)

	garps := func() []Event {
		var out []Event
		for _, e := range sent.Since(0) {
			if e.Kind == KindGARP && e.Op == 1 && (e.IP == VIP4 || e.IP == vip2) {
				out = append(out, e)
			}
		}
		return out
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(garps()) < 6 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * gap) // none more is due
	got := garps()
	if len(got) != 6 {
		t.Fatalf("%d gratuitous ARPs for the two VIPs, want 6:\n%v", len(got), got)
	}
	per := map[netip.Addr]int{}
	for _, e := range got {
		per[e.IP]++
	}
	if per[VIP4] != 3 || per[vip2] != 3 {
		t.Errorf("GARPs per VIP %v, want 3 each", per)
	}
	slices.SortFunc(got, func(x, y Event) int { return x.Time.Compare(y.Time) })
	for k := 1; k < len(got); k++ {
		if d := got[k].Time.Sub(got[k-1].Time); d < gap {
			t.Errorf("GARP %d (%s) left %v after the one before (%s), want at least garp_interval %v", k, got[k].IP, d, got[k-1].IP, gap)
		}
	}
}

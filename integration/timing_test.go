//go:build integration

package integration

import (
	"net/netip"
	"testing"
	"time"

	"github.com/halvs/halvs/vrrp"
)

// TestMcastGroupOnWire: with vrrp_mcast_group4 the master's adverts go to that group, and a
// backup listening on it (halvs, or keepalived with the same keyword) hears them and stays
// BACKUP; nothing goes to 224.0.0.18.
func TestMcastGroupOnWire(t *testing.T) {
	group := netip.MustParseAddr("224.0.0.19")
	for _, peer := range []Impl{Halvs, Keepalived} {
		t.Run("backup "+string(peer), func(t *testing.T) {
			p := newPair(t, VIP4, Halvs, peer)
			base := Instance{Version: 3, Interval: 100 * time.Millisecond,
				HCLGlobal: `  vrrp_mcast_group4 = "224.0.0.19"` + "\n", KAGlobal: "  vrrp_mcast_group4 224.0.0.19\n"}
			a, b := base, base
			a.State, a.Priority = "MASTER", 150
			mark := p.obs.Mark()
			p.start(Halvs, p.lab.A, a)
			p.expectMaster(mark, p.lab.A, 5*time.Second, 0)
			p.start(peer, p.lab.B, b)
			mark = p.obs.Mark()
			p.holdsAlone(p.lab.A, 2*time.Second) // longer than B's Master_Down_Interval
			var fromA int
			for _, e := range p.obs.Since(mark) {
				if e.Kind != KindAdvert {
					continue
				}
				if !macEq(e.SrcMAC, p.lab.A.MAC) {
					t.Errorf("advert from %s: B took over, so it did not hear A on %s", e.SrcMAC, group)
					continue
				}
				if e.Dst != group {
					t.Errorf("A's advert went to %s, want %s", e.Dst, group)
				}
				fromA++
			}
			if fromA < 10 {
				t.Errorf("%d adverts from A in 2s at 100ms, want about 20", fromA)
			}
		})
	}
}

// TestLowerPrioNoAdvert: a MASTER that receives a lower-priority advert answers at once
// with its own advert and re-announces the VIP; with lower_prio_no_advert it only
// re-announces. keepalived does the same, side by side.
func TestLowerPrioNoAdvert(t *testing.T) {
	for _, impl := range []Impl{Halvs, Keepalived} {
		for _, noAdvert := range []bool{false, true} {
			name := string(impl) + " default"
			if noAdvert {
				name = string(impl) + " lower_prio_no_advert"
			}
			t.Run(name, func(t *testing.T) {
				p := newPair(t, VIP4, impl)
				in := Instance{State: "MASTER", Priority: 150, Version: 3, Interval: time.Second}
				if noAdvert {
					in.HCLInstance, in.KAInstance = "  lower_prio_no_advert = true\n", "  lower_prio_no_advert\n"
				}
				mark := p.obs.Mark()
				p.start(impl, p.lab.A, in)
				p.expectMaster(mark, p.lab.A, 5*time.Second, 0)
				// Right after one of A's adverts, so that its next scheduled one is about 1s away.
				mark = p.obs.Mark()
				if _, _, err := p.obs.WaitFor(mark, 3*time.Second, AdvertFrom(p.lab.A.MAC)); err != nil {
					t.Fatal(err)
				}
				injected := p.obs.Mark()
				sendAdvert(t, p.lab.Client, 50)
				time.Sleep(400 * time.Millisecond)
				var adverts, garps int
				for _, e := range p.obs.Since(injected) {
					switch {
					case e.Kind == KindAdvert && macEq(e.SrcMAC, p.lab.A.MAC):
						adverts++
					case e.Kind == KindGARP && macEq(e.SrcMAC, p.lab.A.MAC) && e.IP == VIP4:
						garps++
					}
				}
				wantAdverts := 1
				if noAdvert {
					wantAdverts = 0
				}
				if adverts != wantAdverts || garps == 0 {
					t.Errorf("within 400ms of a priority 50 advert: %d adverts and %d GARPs from A, want %d adverts and a GARP burst\n%s",
						adverts, garps, wantAdverts, p.dump(injected))
				}
			})
		}
	}
}

// sendAdvert sends one VRRPv3 advert for VRID 51 and the reference VIP with priority from
// node (a third router claiming mastership).
func sendAdvert(t *testing.T, node *Node, priority uint8) {
	t.Helper()
	node.NS.MustDo(func() error {
		tr, err := vrrp.DialTransport(node.If, vrrp.FamilyIPv4, vrrp.TransportOptions{})
		if err != nil {
			return err
		}
		defer tr.Close()
		a := vrrp.Advertisement{Version: 3, Type: vrrp.TypeAdvertisement, VRID: 51, Priority: priority,
			Interval: time.Second, Addrs: []netip.Addr{VIP4}}
		msg, err := a.Marshal(tr.LocalAddr(), vrrp.MulticastIPv4, vrrp.CodecOptions{})
		if err != nil {
			return err
		}
		return tr.Send(vrrp.MulticastIPv4, msg)
	})
}

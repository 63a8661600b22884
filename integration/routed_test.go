//go:build integration

package integration

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/netnstest"
	"github.com/vishvananda/netlink"
)

// routedLab is two directors on different subnets with a router between them, as in most
// clouds: A (10.10.1.10) and B (10.10.2.10) each reach the other through the router
// (10.10.1.1, 10.10.2.1), which forwards and so decrements the TTL of their unicast adverts.
type routedLab struct {
	A, B *Node
	// AtRouter and BtRouter are the router's interfaces facing A and B: an Observer there
	// sees what each director sends (its adverts at TTL 255, its gratuitous ARPs).
	AtRouter, BtRouter *Node
}

func newRoutedLab(t *testing.T) *routedLab {
	t.Helper()
	nl := netnstest.New(t, Prefix)
	router := nl.NewNS("r")
	if err := router.WriteSysctl("net/ipv4/ip_forward", "1"); err != nil {
		t.Fatal(err)
	}
	l := &routedLab{}
	for _, side := range []struct {
		dir, rtr **Node
		name     string
		short    string
		mac      net.HardwareAddr
		subnet   string
		other    string
	}{
		{&l.A, &l.AtRouter, "A", "a", macA, "10.10.1", "10.10.2.0/24"},
		{&l.B, &l.BtRouter, "B", "b", macB, "10.10.2", "10.10.1.0/24"},
	} {
		ns := nl.NewNS(side.short)
		rif := Prefix + "r" + side.short // the router's end
		veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: rif}, PeerName: IfName,
			PeerHardwareAddr: side.mac, PeerNamespace: netlink.NsFd(int(ns.NsHandle()))}
		if err := router.Handle.LinkAdd(veth); err != nil {
			t.Fatalf("routed lab: veth %s/%s: %v", rif, IfName, err)
		}
		gw := netip.MustParseAddr(side.subnet + ".1")
		addr := netip.MustParseAddr(side.subnet + ".10")
		router.AddAddr(rif, netip.PrefixFrom(gw, 24))
		router.SetLinkUp(rif, true)
		ns.AddAddr(IfName, netip.PrefixFrom(addr, 24))
		ns.SetLinkUp(IfName, true)
		ns.WaitReady(IfName)
		router.WaitReady(rif)
		link, err := ns.Handle.LinkByName(IfName)
		if err != nil {
			t.Fatal(err)
		}
		dst := netip.MustParsePrefix(side.other)
		route := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw.AsSlice(),
			Dst: &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), 32)}}
		if err := ns.Handle.RouteAdd(route); err != nil {
			t.Fatalf("routed lab: route to %s via %s in %s: %v", dst, gw, ns.Name, err)
		}
		*side.dir = &Node{Name: side.name, NS: ns, If: IfName, MAC: side.mac, Addr4: addr}
		*side.rtr = &Node{Name: "router-" + side.short, NS: router, If: rif}
	}
	return l
}

func (l *routedLab) observe(t *testing.T, n *Node) *Observer {
	t.Helper()
	o, err := Observe(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func (l *routedLab) start(t *testing.T, impl Impl, node *Node, in Instance) *Director {
	t.Helper()
	peer := l.A
	if node == l.A {
		peer = l.B
	}
	d := StartDirector(t, impl, node, peer, in)
	if err := d.WaitReady(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRoutedUnicast: directors whose unicast adverts cross a router (TTL 254 on arrival)
// hear each other, as with keepalived: exactly one MASTER, and when it is killed the other
// takes over within RFC 5798's bound, counted from the last advert that reached it.
func TestRoutedUnicast(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		RequireImpl(t, impl)
		l := newRoutedLab(t)
		fromA, fromB, atB := l.observe(t, l.AtRouter), l.observe(t, l.BtRouter), l.observe(t, l.B)
		a, b := fast(150), fast(100)
		a.Unicast, b.Unicast = true, true
		da := l.start(t, impl, l.A, a)
		l.start(t, impl, l.B, b)

		if _, _, err := fromA.WaitFor(0, 5*time.Second, AnnounceFrom(l.A.MAC, VIP4)); err != nil {
			t.Fatalf("A never announced %s: %v", VIP4, err)
		}
		e, _, err := atB.WaitFor(0, 5*time.Second, func(e Event) bool { return e.Kind == KindAdvert && e.IP == l.A.Addr4 })
		if err != nil {
			t.Fatalf("no advert from A reached B: %v", err)
		}
		if e.TTL >= 255 {
			t.Fatalf("A's advert reached B with TTL %d: the router did not forward it", e.TTL)
		}
		// B hears A, so it must never claim the VIP: watch for several of its down intervals.
		mark := fromB.Mark()
		deadline := time.Now().Add(3 * b.MasterDownInterval())
		for time.Now().Before(deadline) {
			if l.B.HasAddr(VIP4) || !l.A.HasAddr(VIP4) {
				t.Fatalf("VIP on A=%v B=%v, want A only (both MASTER: B does not hear A across the router)", l.A.HasAddr(VIP4), l.B.HasAddr(VIP4))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if e, _, err := fromB.WaitFor(mark, 0, AnnounceFrom(l.B.MAC, VIP4)); err == nil {
			t.Fatalf("B announced the VIP while A was master: %v", e)
		}

		mark = fromB.Mark()
		da.Kill()
		garp, _, err := fromB.WaitFor(mark, 5*time.Second, AnnounceFrom(l.B.MAC, VIP4))
		if err != nil {
			t.Fatalf("B did not take over after A was killed: %v", err)
		}
		var last time.Time // A's last advert that reached B: B's down timer runs from it
		for _, e := range atB.Events() {
			if e.Kind == KindAdvert && e.IP == l.A.Addr4 && e.Time.Before(garp.Time) {
				last = e.Time
			}
		}
		if last.IsZero() {
			t.Fatal("no advert from A reached B before B's takeover")
		}
		bound := b.MasterDownInterval() + b.Interval // slack: one interval, for a busy machine
		gap := garp.Time.Sub(last)
		if gap > bound || gap < b.MasterDownInterval()-b.Interval {
			t.Errorf("B took over %v after A's last advert, want about %v (at most %v)", gap, b.MasterDownInterval(), bound)
		}
		t.Logf("B took over %v after A's last advert (Master_Down_Interval %v)", gap, b.MasterDownInterval())
		if !l.B.HasAddr(VIP4) {
			t.Error("B announced the VIP but does not hold it")
		}
	})
}

// TestRoutedUnicastMinTTL: with min_ttl 255 on its peer, B drops A's routed adverts (TTL
// 254), counts them as TTL drops, and so becomes MASTER too; A, without a range, accepts B's.
func TestRoutedUnicastMinTTL(t *testing.T) {
	RequireImpl(t, Halvs)
	l := newRoutedLab(t)
	fromB := l.observe(t, l.BtRouter)
	a, b := fast(150), fast(100)
	a.Unicast, b.Unicast = true, true
	b.PeerOptions = "min_ttl 255"
	da := l.start(t, Halvs, l.A, a)
	db := l.start(t, Halvs, l.B, b)

	if _, _, err := fromB.WaitFor(0, 5*time.Second, AnnounceFrom(l.B.MAC, VIP4)); err != nil {
		t.Fatalf("B never took the VIP although it drops every advert of A: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		sa, errA := da.Status()
		sb, errB := db.Status()
		if errA != nil || errB != nil {
			t.Fatalf("status: %v %v", errA, errB)
		}
		ttlA, ttlB := statusDrops(sa, "ttl"), statusDrops(sb, "ttl")
		if ttlA != 0 {
			t.Fatalf("A dropped %d adverts for TTL; it has no min_ttl, so it must accept B's", ttlA)
		}
		if ttlB >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B counted %d TTL drops, want A's adverts (TTL 254 < min_ttl 255) counted", ttlB)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

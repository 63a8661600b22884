//go:build integration

package integration

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestInteropModes runs halvs against the real keepalived, each as master and as backup, in
// the modes TestInteropKeepalived leaves out: unicast (VRRPv2 with PASS and VRRPv3), and
// VRRPv3 over IPv6 (adverts from the link-local address to ff02::12, the first VIP
// link-local, unsolicited neighbour advertisements). Each run is an election, a crash
// takeover, a preemption back and a graceful stop, every takeover across implementations;
// in unicast mode no advert may go to the multicast group.
func TestInteropModes(t *testing.T) {
	ipv6 := func(prio int) Instance {
		i := fast(prio)
		i.VIPs = []netip.Prefix{netip.MustParsePrefix("fe80::22/64"), netip.PrefixFrom(VIP6, 64)}
		return i
	}
	modes := []struct {
		name    string
		vip     netip.Addr
		in      func(priority int) Instance
		unicast bool
	}{
		{"unicast-v2-pass", VIP4, func(p int) Instance { i := seed(p); i.Unicast = true; return i }, true},
		{"unicast-v3", VIP4, func(p int) Instance { i := fast(p); i.Unicast = true; return i }, true},
		{"ipv6-v3", VIP6, ipv6, false},
	}
	roles := []struct{ master, backup Impl }{{Halvs, Keepalived}, {Keepalived, Halvs}}
	for _, m := range modes {
		for _, r := range roles {
			t.Run(fmt.Sprintf("%s/%s-master/%s-backup", m.name, r.master, r.backup), func(t *testing.T) {
				p := newPair(t, m.vip, Halvs, Keepalived)
				start := p.obs.Mark()
				p.electCrashReturnStop(t, r.master, r.backup, m.in(150), m.in(100))

				checkAdvertAddresses(t, p, start, m.unicast)
			})
		}
	}
}

// checkAdvertAddresses checks the adverts the client saw since mark. In unicast mode it
// sees none (they are frames to the other director, which the bridge does not flood), and
// one it sees is one sent to the multicast group instead. IPv6 multicast ones must go from a
// link-local address to ff02::12, and there must be some.
func checkAdvertAddresses(t *testing.T, p *pair, mark int, unicast bool) {
	t.Helper()
	n := 0
	for _, e := range p.obs.Since(mark) {
		if e.Kind != KindAdvert {
			continue
		}
		n++
		switch {
		case unicast:
			t.Errorf("advert %v to %s reached the client: a unicast instance sent to the group", e, e.Dst)
		case p.vip.Is6() && (!e.IP.IsLinkLocalUnicast() || e.Dst != netip.MustParseAddr("ff02::12")):
			t.Errorf("IPv6 advert %v from %s to %s, want a link-local source and ff02::12", e, e.IP, e.Dst)
		}
	}
	if !unicast && n == 0 {
		t.Error("the observer saw no advert")
	}
}

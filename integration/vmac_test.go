//go:build integration

package integration

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// vmacName and vmacMAC are keepalived's use_vmac interface and virtual MAC for VRID 51.
const vmacName = "vrrp.51"

var (
	vmacMAC  = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x01, 51}
	vmacMAC6 = net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, 0x02, 51}
)

// TestVMAC runs a use_vmac pair, halvs with halvs and halvs with keepalived each way, and an
// IPv6 (VRRPv3) pair of halvs: the master's adverts and gratuitous ARPs (NAs) leave from the
// virtual MAC, the VIP sits on the VMAC of the master alone, and the client's neighbour entry
// for the VIP is the virtual MAC from the first announcement on and never changes across a
// crash, a preemption and a graceful stop. A halvs director removes its VMAC when it stops,
// and one restarted after a crash makes the VMAC its killed run left again.
func TestVMAC(t *testing.T) {
	v4 := func(prio int) Instance { i := fast(prio); i.UseVMAC = true; return i }
	v6 := func(prio int) Instance {
		i := v4(prio)
		i.VIPs = []netip.Prefix{netip.MustParsePrefix("fe80::22/64"), netip.PrefixFrom(VIP6, 64)}
		return i
	}
	// keepalived and halvs both send a unicast instance's adverts from the base interface
	// (vmac_xmit_base); the VIPs stay on the VMAC.
	uni := func(prio int) Instance { i := v4(prio); i.Unicast = true; return i }
	for _, r := range []struct {
		a, b Impl
		vip  netip.Addr
		in   func(int) Instance
		mac  net.HardwareAddr
	}{
		{Halvs, Halvs, VIP4, v4, vmacMAC}, {Halvs, Keepalived, VIP4, v4, vmacMAC}, {Keepalived, Halvs, VIP4, v4, vmacMAC},
		{Halvs, Halvs, VIP6, v6, vmacMAC6},
		{Halvs, Keepalived, VIP4, uni, vmacMAC}, {Keepalived, Halvs, VIP4, uni, vmacMAC},
	} {
		name := fmt.Sprintf("A-%s/B-%s", r.a, r.b)
		switch {
		case r.vip.Is6():
			name += "/IPv6"
		case r.in(1).Unicast:
			name += "/unicast"
		}
		t.Run(name, func(t *testing.T) {
			p := newPair(t, r.vip, r.a, r.b)
			a, b := r.in(150), r.in(100)
			unicast := a.Unicast
			wait := 3*a.MasterDownInterval() + 3*time.Second
			watch := watchNeighbour(t, p.lab, p.vip)

			mark := p.obs.Mark()
			da := p.start(r.a, p.lab.A, a)
			p.start(r.b, p.lab.B, b)
			vmacMaster(t, p, mark, p.lab.A, r.mac, unicast, wait)

			mark = p.obs.Mark()
			da.Kill()
			vmacMaster(t, p, mark, p.lab.B, r.mac, unicast, wait)

			mark = p.obs.Mark()
			da = p.start(r.a, p.lab.A, a)
			vmacMaster(t, p, mark, p.lab.A, r.mac, unicast, wait)

			mark = p.obs.Mark()
			if err := da.Stop(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			vmacMaster(t, p, mark, p.lab.B, r.mac, unicast, wait)
			if r.a == Halvs {
				if _, err := p.lab.A.NS.Handle.LinkByName(vmacName); err == nil {
					t.Errorf("A's %s is still there after halvs stopped", vmacName)
				}
			}
			if seen := watch.stop(); len(seen) != 1 || seen[0] != r.mac.String() {
				t.Errorf("the client's neighbour entry for %s named %v, want only the virtual MAC %s", p.vip, seen, r.mac)
			}
		})
	}
}

// vmacMaster waits until node sends adverts, from the virtual MAC (unless unicast: the client
// sees no unicast advert), and announces the VIP from it too; then checks that only node's VMAC holds the VIP (among running directors) and the
// client's neighbour entry is the virtual MAC.
func vmacMaster(t *testing.T, p *pair, mark int, node *Node, mac net.HardwareAddr, unicast bool, timeout time.Duration) {
	t.Helper()
	src := node.Addr4
	if p.vip.Is6() {
		src = node.LL6 // the base's link-local, which the VMAC holds too
	}
	fromNode := func(e Event) bool {
		return e.Kind == KindAdvert && e.IP == src && e.Priority > 0 && macEq(e.SrcMAC, mac)
	}
	if unicast {
		// Unicast adverts go to the other director alone; the client sees none.
	} else if _, _, err := p.obs.WaitFor(mark, timeout, fromNode); err != nil {
		t.Fatalf("no advert from %s (%s) with the virtual MAC within %v: %v\n%s", node.Name, src, timeout, err, p.dump(mark))
	}
	if _, _, err := p.obs.WaitFor(mark, timeout, AnnounceFrom(mac, p.vip)); err != nil {
		t.Fatalf("no announcement of %s from the virtual MAC within %v: %v\n%s", p.vip, timeout, err, p.dump(mark))
	}
	for _, e := range p.obs.Since(mark) {
		if e.Kind == KindAdvert && macEq(e.SrcMAC, node.MAC) {
			t.Errorf("%s sent an advert from its own MAC, not the virtual one: %v", node.Name, e)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		var holders []string
		for _, n := range p.lab.Directors() {
			if d := p.running[n]; d != nil && !d.Exited() && vmacHolds(n, p.vip) {
				holders = append(holders, n.Name)
			}
		}
		if len(holders) == 1 && holders[0] == node.Name {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the VIP %s is on the VMAC of %v, want %s alone", p.vip, holders, node.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if node.HasAddr(p.vip) {
		t.Errorf("%s holds %s on %s too, not only on its VMAC", node.Name, p.vip, node.If)
	}
	if p.vip.Is6() {
		p.lab.Touch(p.vip) // an NA only updates an entry that exists; make one
	}
	p.neighbourIsMAC(mac, 3*time.Second)
}

// vmacHolds reports whether n's VMAC holds addr.
func vmacHolds(n *Node, addr netip.Addr) bool {
	link, err := n.NS.Handle.LinkByName(vmacName)
	if err != nil {
		return false
	}
	list, err := n.NS.Handle.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return false
	}
	for _, a := range list {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			return true
		}
	}
	return false
}

// neighbourIsMAC waits until the client's neighbour entry for the VIP names mac.
func (p *pair) neighbourIsMAC(mac net.HardwareAddr, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, state := p.lab.Neighbour(p.vip)
		if macEq(got, mac) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("client's neighbour entry for %s is %v (%s), want %s", p.vip, got, state, mac)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// neighbourWatch samples the client's neighbour entry for an address until stopped.
type neighbourWatch struct {
	stopc chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	seen  []string // each distinct MAC, in order of first sight
}

// watchNeighbour samples the client's neighbour entry for addr every 10 ms.
func watchNeighbour(t *testing.T, l *Lab, addr netip.Addr) *neighbourWatch {
	w := &neighbourWatch{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stopc:
				return
			case <-tick.C:
			}
			if mac, _ := l.Neighbour(addr); mac != nil {
				w.mu.Lock()
				if len(w.seen) == 0 || w.seen[len(w.seen)-1] != mac.String() {
					w.seen = append(w.seen, mac.String())
				}
				w.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { w.stop() })
	return w
}

// stop ends the sampling and returns the MACs seen.
func (w *neighbourWatch) stop() []string {
	select {
	case <-w.stopc:
	default:
		close(w.stopc)
	}
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

//go:build vmtest

package lvs

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// TestKernelStats sends real connections through a service whose destination is this
// namespace itself (IPVS' local node) and reads the kernel's counters back.
func TestKernelStats(t *testing.T) {
	k, _ := kernelInNetns(t)
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	vip := netip.MustParseAddrPort("10.99.0.1:8080")
	if err := netlink.AddrAdd(lo, &netlink.Addr{IPNet: netlink.NewIPNet(net.IP(vip.Addr().AsSlice()))}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", vip.String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello"))
			c.Close()
		}
	}()
	key := NewServiceKey(TCP, vip)
	seed(t, k, vs(svc(key, "rr"), dst(vip.String(), DR, 1)))
	const conns = 3
	for range conns {
		c, err := net.Dial("tcp", vip.String()) // on the locked thread: inside the namespace
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(c)
		c.Close()
	}
	// The kernel folds its per-CPU counters into the totals it reports only from its rate
	// estimator, every 2 s, so the totals lag the traffic: poll for them.
	var got []ServiceStats
	for deadline := time.Now().Add(6 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got, err = k.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && got[0].Stats.Connections >= conns || time.Now().After(deadline) {
			break
		}
	}
	if len(got) != 1 || got[0].Key != key || len(got[0].Destinations) != 1 {
		t.Fatalf("Stats = %+v, want the one service with its one destination", got)
	}
	s, d := got[0].Stats, got[0].Destinations[0]
	if s.Connections != conns || d.Connections != conns {
		t.Errorf("connections: service %d, destination %d, want %d each", s.Connections, d.Connections, conns)
	}
	if s.PacketsIn == 0 || s.BytesIn == 0 || d.Addr != vip {
		t.Errorf("service counters %+v, destination %+v: want packets and bytes counted", s, d)
	}
	if d.ActiveConns+d.InactiveConns == 0 {
		t.Errorf("destination %+v: the closed connections should linger as inactive (TIME_WAIT/FIN)", d)
	}
}

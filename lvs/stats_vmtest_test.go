//go:build vmtest

package lvs

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink"

	"github.com/halvs/halvs/internal/testutil"
)

// localService serves reply to every connection on vip, an address it adds to lo, and
// programs a service there whose destination is this namespace itself (IPVS' local node).
func localService(t *testing.T, k *Kernel, vip netip.AddrPort, reply []byte) ServiceKey {
	t.Helper()
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(lo, &netlink.Addr{IPNet: netlink.NewIPNet(net.IP(vip.Addr().AsSlice()))}); err != nil {
		t.Fatal(err)
	}
	testutil.Serve(t, vip.String(), func(c net.Conn) {
		defer c.Close()
		io.CopyN(io.Discard, c, 1) // the client's byte, so that packets flow both ways
		c.Write(reply)
	})
	key := NewServiceKey(TCP, vip)
	seed(t, k, vs(svc(key, "rr"), dst(vip.String(), DR, 1)))
	return key
}

// fetch makes one connection to vip: one byte out, the reply back. It must run on the test's
// locked thread, inside the namespace.
func fetch(t *testing.T, vip netip.AddrPort) {
	t.Helper()
	c, err := net.Dial("tcp", vip.String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte{1})
	io.ReadAll(c)
	c.Close()
}

// TestKernelStats sends real connections through a service whose destination is this
// namespace itself and reads the kernel's counters back.
func TestKernelStats(t *testing.T) {
	k, _ := kernelInNetns(t)
	vip := netip.MustParseAddrPort("10.99.0.1:8080")
	key := localService(t, k, vip, []byte("hello"))
	var err error
	const conns = 3
	for range conns {
		fetch(t, vip)
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

// TestKernelStats64 checks the counters Stats reads from the kernel's 64-bit stats
// (IPVS_SVC_ATTR_STATS64, IPVS_DEST_ATTR_STATS64) against the 32-bit ones moby/ipvs reads
// (IPVS_SVC_ATTR_STATS, IPVS_DEST_ATTR_STATS) after real traffic: the same counts, and the
// same rates, which the traffic makes nonzero.
func TestKernelStats64(t *testing.T) {
	k, _ := kernelInNetns(t)
	vip := netip.MustParseAddrPort("10.99.0.2:8080")
	key := localService(t, k, vip, make([]byte, 16<<10))
	// Traffic for longer than two estimator periods (2 s each), so that the rates the kernel
	// computes are above zero when read.
	conns := 0
	for start := time.Now(); time.Since(start) < 5*time.Second; conns++ {
		fetch(t, vip)
	}
	// Read the 32-bit stats, the 64-bit ones, and the 32-bit ones again: when the two 32-bit
	// reads agree, no estimator tick fell between them, and the 64-bit read must equal them.
	var got64 []ServiceStats
	var got32 ServiceStats
	for try := 0; ; try++ {
		before := mobyStats(t, k)
		var err error
		if got64, err = k.Stats(); err != nil {
			t.Fatal(err)
		}
		after := mobyStats(t, k)
		if cmp.Equal(before, after, equateNet) && after.Stats.Connections >= uint64(conns) {
			got32 = after
			break
		}
		if try == 20 {
			t.Fatalf("the 32-bit counters never held still across a read (last %+v, %d connections made)", after, conns)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got64) != 1 || got64[0].Key != key {
		t.Fatalf("Stats = %+v, want the one service %s", got64, key)
	}
	if diff := cmp.Diff(got32, got64[0], equateNet); diff != "" {
		t.Errorf("64-bit stats differ from the 32-bit ones (-32 +64):\n%s", diff)
	}
	// Within one kernel message, the STATS64 nest and the STATS nest say the same.
	for _, m := range rawStatsMessages(t, k, key) {
		if m.s64 == nil {
			t.Fatalf("%s: the kernel sent no STATS64 nest", m.what)
		}
		w, err := parseStats(m.s64, true)
		if err != nil {
			t.Fatalf("%s STATS64: %v", m.what, err)
		}
		n, err := parseStats(m.s32, false)
		if err != nil {
			t.Fatalf("%s STATS: %v", m.what, err)
		}
		if diff := cmp.Diff(n, w); diff != "" || w.Connections == 0 || w.PacketsIn == 0 || w.BytesOut == 0 {
			t.Errorf("%s: STATS64 %+v, STATS %+v: want equal and counting traffic (-32 +64):\n%s", m.what, w, n, diff)
		}
	}
	s, r := got64[0].Stats, got64[0].Stats.Rates
	t.Logf("%d connections: service %+v", conns, s)
	if s.Connections != uint64(conns) || s.PacketsIn == 0 || s.BytesIn == 0 {
		t.Errorf("service counters %+v: want %d connections, packets and bytes counted", s, conns)
	}
	if r.InPPS == 0 || r.InBPS == 0 {
		t.Errorf("service rates %+v: want packets and bytes per second above zero right after 5 s of traffic", r)
	}
}

// mobyStats reads the one service of the table and its destinations through moby/ipvs, which
// parses the kernel's 32-bit stats, into Stats' form.
func mobyStats(t *testing.T, k *Kernel) ServiceStats {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	svcs, err := k.h.GetServices()
	if err != nil || len(svcs) != 1 {
		t.Fatalf("moby GetServices = %v, %v; want one service", svcs, err)
	}
	ms := svcs[0]
	s, err := fromMobyService(ms)
	if err != nil {
		t.Fatal(err)
	}
	out := ServiceStats{Key: s.Key, Stats: fromMobyStats(ms.Stats)}
	dests, err := k.h.GetDestinations(ms)
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range dests {
		d, err := fromMobyDest(md)
		if err != nil {
			t.Fatal(err)
		}
		out.Destinations = append(out.Destinations, DestinationStats{Addr: d.Addr, Weight: d.Weight,
			ActiveConns: uint64(md.ActiveConnections), InactiveConns: uint64(md.InactiveConnections),
			Stats: fromMobyStats(ipvs.SvcStats(md.Stats))})
	}
	return out
}

func fromMobyStats(s ipvs.SvcStats) Stats {
	return Stats{Connections: uint64(s.Connections), PacketsIn: uint64(s.PacketsIn), PacketsOut: uint64(s.PacketsOut),
		BytesIn: s.BytesIn, BytesOut: s.BytesOut, Rates: Rates{CPS: uint64(s.CPS), InPPS: uint64(s.PPSIn),
			OutPPS: uint64(s.PPSOut), InBPS: uint64(s.BPSIn), OutBPS: uint64(s.BPSOut)}}
}

type rawStats struct {
	what     string
	s32, s64 []byte
}

// rawStatsMessages dumps the service key and its destinations and returns each one's STATS
// and STATS64 nests as the kernel sent them.
func rawStatsMessages(t *testing.T, k *Kernel, key ServiceKey) []rawStats {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []rawStats
	for _, q := range []struct {
		cmd                  uint8
		svc                  *ServiceKey
		nest, stats, stats64 uint16
	}{
		{ipvsCmdGetService, nil, ipvsCmdAttrService, ipvsSvcAttrStats, ipvsSvcAttrStats64},
		{ipvsCmdGetDest, &key, ipvsCmdAttrDest, ipvsDestAttrStats, ipvsDestAttrStats64},
	} {
		ans, err := k.execute(k.dumpRequest(q.cmd, q.svc))
		if err != nil {
			t.Fatal(err)
		}
		if ans[0].err != nil || len(ans[0].data) != 1 {
			t.Fatalf("dump %d: %v, %d messages; want one", q.cmd, ans[0].err, len(ans[0].data))
		}
		attrs, err := nestedAttrs(ans[0].data[0], q.nest)
		if err != nil {
			t.Fatal(err)
		}
		r := rawStats{what: map[uint8]string{ipvsCmdGetService: "service", ipvsCmdGetDest: "destination"}[q.cmd]}
		for _, a := range attrs {
			switch attrType(a) {
			case q.stats:
				r.s32 = a.Value
			case q.stats64:
				r.s64 = a.Value
			}
		}
		out = append(out, r)
	}
	return out
}

//go:build vmtest

package vm

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDRForwardingWithIpvsadm checks the lab itself, independently of halvs: a table programmed
// by ipvsadm on director A carries the client's requests for http://VIP/ to both real servers in
// direct-routing mode. DR shows in three ways: the client resolved the VIP to director A's MAC,
// the answers come from the real servers (the page names them), and the director counted the
// requests' packets in but none out (the real servers answer the client directly).
func TestDRForwardingWithIpvsadm(t *testing.T) {
	lab(t)
	clearIPVS(t, dirA)
	nsRun(t, dirA.ns, fmt.Sprintf(`
ipvsadm -A -t %[1]s:80 -s wrr
ipvsadm -a -t %[1]s:80 -r %[2]s:80 -g -w 3
ipvsadm -a -t %[1]s:80 -r %[3]s:80 -g -w 3`, vip, rs1.addr, rs2.addr))
	holdVIP(t, dirA)

	const n = 20
	got := fetch(t, n)
	// wrr with equal weights is a strict alternation: each real server answers half.
	want := tally{"rs1": n / 2, "rs2": n / 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers by real server (-want +got):\n%s", diff)
	}

	if got, want := neighMAC(t, client.ns, vip.String()), linkMAC(t, dirA.ns); got != want {
		t.Errorf("client resolved the VIP to %q, want director A's %q", got, want)
	}

	dests := ipvsDests(t, dirA.ns)
	for _, rs := range realServers {
		key := fmt.Sprintf("TCP %s:80 -> %s:80", vip, rs.addr)
		d := dests[key]
		if d.Forward != "Route" || d.ActiveConn+d.InActConn != n/2 {
			t.Errorf("%s: %+v, want Route with %d connections", key, d, n/2)
		}
	}
	// Wait (bounded) for the rate estimator to fold in the packets, then check none went out.
	var stats map[string]destStats
	for i := 0; i < 50; i++ {
		if stats = ipvsStats(t, dirA.ns); inPkts(stats) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for key, s := range stats {
		if s.InPkts == 0 || s.OutPkts != 0 {
			t.Errorf("%s: %+v, want packets in and none out (DR)", key, s)
		}
	}
	t.Logf("ipvsadm -Ln on director A:\n%s", ipvsList(t, dirA.ns))
}

func inPkts(stats map[string]destStats) uint64 {
	var n uint64
	for _, s := range stats {
		n += s.InPkts
	}
	return n
}

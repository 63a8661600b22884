//go:build vmtest

package vm

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestHalvsNATAndTUNForwarding sends real traffic through the NAT and TUN services that halvs
// programs from testdata/mixed.hcl (the same table keepalived programs from its twin):
//   - NAT 10.10.10.23:8080 → real servers :80, persistent per /24: the director rewrites both
//     ways, so it counts packets out, and every request of the one client lands on one server;
//   - TUN 10.10.10.24:80: the director wraps each packet in IP-in-IP; the real servers take it
//     off tunl0 (where they hold that VIP) and answer the client directly (no packets out).
func TestHalvsNATAndTUNForwarding(t *testing.T) {
	requireHalvsIPVS(t)
	const natVIP, tunVIP = "10.10.10.23", "10.10.10.24"
	clearIPVS(t, dirA)
	halvsIPVS(t, "-c", repoPath("integration/vm/testdata/mixed.hcl"))

	// Director: both VIPs, forwarding on for NAT's replies, no redirects (replies leave by the
	// interface they came in on, which would otherwise teach the real servers a shortcut).
	nsRun(t, dirA.ns, fmt.Sprintf(`
ip addr add %s/32 dev eth0
ip addr add %s/32 dev eth0
for k in ipv4/ip_forward; do echo 1 >/proc/sys/net/$k; done
for k in all eth0; do echo 0 >/proc/sys/net/ipv4/conf/$k/send_redirects; done`, natVIP, tunVIP))
	t.Cleanup(func() {
		nsRunErr(dirA.ns, fmt.Sprintf(`
ip addr del %s/32 dev eth0; ip addr del %s/32 dev eth0
echo 0 >/proc/sys/net/ipv4/ip_forward
for k in all eth0; do echo 1 >/proc/sys/net/ipv4/conf/$k/send_redirects; done`, natVIP, tunVIP))
		nsRunErr(client.ns, "ip neigh flush all")
	})
	// Real servers, for TUN: the TUN VIP on tunl0 (rp_filter off: the inner source is not
	// reached through tunl0).
	for _, rs := range realServers {
		nsRun(t, rs.ns, fmt.Sprintf(`
ip link set tunl0 up
ip addr add %s/32 dev tunl0
for k in all tunl0; do echo 0 >/proc/sys/net/ipv4/conf/$k/rp_filter; done`, tunVIP))
		rs := rs
		t.Cleanup(func() { nsRunErr(rs.ns, fmt.Sprintf("ip addr del %s/32 dev tunl0; ip link set tunl0 down", tunVIP)) })
	}

	tunRx := func() map[string]uint64 {
		rx := map[string]uint64{}
		for _, rs := range realServers {
			rx[rs.ns] = tunl0RxPackets(t, rs.ns)
		}
		return rx
	}
	rxBefore := tunRx()

	tun := fetchURL(t, "http://"+tunVIP+"/", 10)
	t.Logf("TUN %s:80: %v", tunVIP, tun)
	if tun["FAIL"] != 0 || tun["rs1"] == 0 || tun["rs2"] == 0 {
		t.Errorf("TUN requests: %v, want answers from both real servers and no failure", tun)
	}
	for ns, after := range tunRx() {
		if after <= rxBefore[ns] {
			t.Errorf("%s: tunl0 received no packet (%d before, %d after)", ns, rxBefore[ns], after)
		}
	}

	// Real servers, for NAT: the client reached through director A (only now: TUN answers
	// must not take that route, director A would drop them as coming from its own VIP).
	for _, rs := range realServers {
		nsRun(t, rs.ns, fmt.Sprintf(`
for k in all eth0; do echo 0 >/proc/sys/net/ipv4/conf/$k/accept_redirects; done
ip route add %s/32 via %s`, client.addr, dirA.addr))
		rs := rs
		t.Cleanup(func() { nsRunErr(rs.ns, fmt.Sprintf("ip route del %s/32 via %s", client.addr, dirA.addr)) })
	}
	nat := fetchURL(t, "http://"+natVIP+":8080/", 6)
	t.Logf("NAT %s:8080: %v", natVIP, nat)
	if nat["FAIL"] != 0 || len(nat) != 1 {
		t.Errorf("NAT requests: %v, want every one answered by the same real server (persistence)", nat)
	}

	// Packets in and out as the rate estimator folds them in (it lags up to 2 s).
	stats := waitStats(t, dirA.ns, func(stats map[string]destStats) bool {
		var nat, tun uint64
		for key, s := range stats {
			if strings.HasPrefix(key, "TCP "+natVIP+":") {
				nat += s.Conns
			}
			if strings.HasPrefix(key, "TCP "+tunVIP+":") {
				tun += s.Conns
			}
		}
		return nat == 6 && tun == 10
	})
	var natOut uint64
	for key, s := range stats {
		switch {
		case strings.HasPrefix(key, "TCP "+natVIP):
			natOut += s.OutPkts
		case strings.HasPrefix(key, "TCP "+tunVIP) && s.OutPkts != 0:
			t.Errorf("%s: %+v: a TUN director sees no replies", key, s)
		}
	}
	if natOut == 0 {
		t.Errorf("NAT service counted no packets out: %v", stats)
	}
}

// tunl0RxPackets reads the received-packets counter of tunl0 in ns from /proc/net/dev.
func tunl0RxPackets(t *testing.T, ns string) uint64 {
	t.Helper()
	for _, line := range strings.Split(nsRun(t, ns, "cat /proc/net/dev"), "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || name != "tunl0" {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			break
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("/proc/net/dev line %q: %v", line, err)
		}
		return n
	}
	t.Fatalf("no tunl0 in %s", ns)
	return 0
}

//go:build vmtest

package vm

import (
	"strconv"
	"strings"
	"testing"
)

// tableShape is `ipvsadm -Ln` output without the ActiveConn and InActConn columns: the
// configuration as the kernel holds it. Connection entries outlive their test (a closed TCP
// connection stays in IPVS' table for minutes, and re-attaches to a re-added destination),
// so the counts depend on what ran before, not on who programmed the table.
func tableShape(table string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(table, "\n"), "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[0] == "->" {
			line = strings.Join(f[:4], " ")
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}

// ipvsList is `ipvsadm -Ln` in namespace ns: the reference reader's view of the table.
func ipvsList(t *testing.T, ns string) string {
	t.Helper()
	return nsRun(t, ns, "ipvsadm -Ln")
}

// dest is one real server's line of `ipvsadm -Ln`.
type dest struct {
	Forward               string // Route, Masq, Tunnel
	Weight                int
	ActiveConn, InActConn int
}

// ipvsDests parses `ipvsadm -Ln` in namespace ns, keyed as ipvsStats is.
func ipvsDests(t *testing.T, ns string) map[string]dest {
	t.Helper()
	return parseDests(t, ipvsList(t, ns))
}

// parseDests parses the output of `ipvsadm -Ln`.
func parseDests(t *testing.T, table string) map[string]dest {
	t.Helper()
	dests := map[string]dest{}
	service := ""
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && (f[0] == "TCP" || f[0] == "UDP" || f[0] == "SCTP" || f[0] == "FWM"):
			service = f[0] + " " + f[1]
		case len(f) == 6 && f[0] == "->" && service != "":
			var n [3]int
			for i := range n {
				v, err := strconv.Atoi(f[3+i])
				if err != nil {
					t.Fatalf("ipvsadm -Ln line %q: %v", line, err)
				}
				n[i] = v
			}
			dests[service+" -> "+f[1]] = dest{Forward: f[2], Weight: n[0], ActiveConn: n[1], InActConn: n[2]}
		}
	}
	return dests
}

// destStats are one real server's counters from `ipvsadm -Ln --stats --exact`. The kernel
// folds its per-CPU counters into these every 2 s (the rate estimator), so they lag.
type destStats struct {
	Conns, InPkts, OutPkts uint64
}

// ipvsStats returns the counters of every destination, keyed "service -> dest" with
// service as ipvsadm prints it ("TCP  10.10.10.22:80") and dest as "10.10.10.31:80".
func ipvsStats(t *testing.T, ns string) map[string]destStats {
	t.Helper()
	out := nsRun(t, ns, "ipvsadm -Ln --stats --exact")
	stats := map[string]destStats{}
	service := ""
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && (f[0] == "TCP" || f[0] == "UDP" || f[0] == "SCTP" || f[0] == "FWM"):
			service = f[0] + " " + f[1]
		case len(f) >= 5 && f[0] == "->" && service != "":
			var n [3]uint64
			for i := range n {
				v, err := strconv.ParseUint(f[2+i], 10, 64)
				if err != nil {
					t.Fatalf("ipvsadm --stats line %q: %v", line, err)
				}
				n[i] = v
			}
			stats[service+" -> "+f[1]] = destStats{Conns: n[0], InPkts: n[1], OutPkts: n[2]}
		}
	}
	return stats
}

// linkMAC is the hardware address of eth0 in namespace ns.
func linkMAC(t *testing.T, ns string) string {
	t.Helper()
	f := strings.Fields(nsRun(t, ns, "ip -o link show eth0 | sed 's/.*link\\/ether //'"))
	if len(f) == 0 {
		t.Fatalf("no MAC on eth0 in %s", ns)
	}
	return f[0]
}

// neighMAC is the MAC that namespace ns has learnt for addr (empty if none).
func neighMAC(t *testing.T, ns, addr string) string {
	t.Helper()
	f := strings.Fields(nsRun(t, ns, "ip neigh show "+addr))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "lladdr" {
			return f[i+1]
		}
	}
	return ""
}

// holdVIP puts the VIP on the director's eth0 (as keepalived's virtual_ipaddress does, /32)
// until the test ends.
func holdVIP(t *testing.T, d host) {
	t.Helper()
	nsRun(t, d.ns, "ip addr add "+vip.String()+"/32 dev eth0")
	t.Cleanup(func() { nsRunErr(d.ns, "ip addr del "+vip.String()+"/32 dev eth0; ip neigh flush all") })
	// The client may remember another owner of the VIP from an earlier test.
	nsRun(t, client.ns, "ip neigh flush all")
}

// clearIPVS removes every service in the director's namespace when the test ends. The lab's
// namespaces belong to the tests, so a flush there touches nothing else.
func clearIPVS(t *testing.T, d host) {
	t.Helper()
	t.Cleanup(func() { nsRunErr(d.ns, "ipvsadm -C") })
}

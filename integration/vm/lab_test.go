//go:build vmtest

package vm

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The reference scenario's addresses (DESIGN.md, examples/seed): the VIP, a client, two
// directors and two real servers, all on one LAN (a bridge in its own namespace).
var (
	vip = netip.MustParseAddr("10.10.10.22")

	client = host{ns: nsPrefix + "client", addr: netip.MustParseAddr("10.10.10.100")}
	dirA   = host{ns: nsPrefix + "dira", addr: netip.MustParseAddr("10.10.10.30")}
	dirB   = host{ns: nsPrefix + "dirb", addr: netip.MustParseAddr("10.10.10.33")}
	rs1    = host{ns: nsPrefix + "rs1", addr: netip.MustParseAddr("10.10.10.31")}
	rs2    = host{ns: nsPrefix + "rs2", addr: netip.MustParseAddr("10.10.10.32")}

	hosts       = []host{client, dirA, dirB, rs1, rs2}
	realServers = []host{rs1, rs2}
)

// nsPrefix starts every namespace the lab creates: `make demo` builds the lab on the host when
// its kernel has IPVS, where an operator's own namespaces must not be touched.
const nsPrefix = "hvm-"

const lanNS = nsPrefix + "lan" // holds the bridge br0 and the hosts' peer ends

// host is one machine of the scenario: a network namespace whose only link, eth0, is a veth
// to the bridge (eth0 so that configs written for real machines, the seed's included, apply).
type host struct {
	ns   string
	addr netip.Addr
}

// name is the host's name in the scenario ("rs1"): its namespace without the prefix. A real
// server's page starts with it.
func (h host) name() string { return strings.TrimPrefix(h.ns, nsPrefix) }

// labOwned is set once buildLab has checked that none of the lab's namespaces existed before,
// so that teardownLab deletes only namespaces the lab created.
var labOwned bool

// labErr is why the lab could not be built, or "" once TestMain built it.
var labErr = "not built: needs root and a kernel with IPVS (make vm-test)"

// httpdPIDs are the real servers' busybox httpd processes, stopped when the lab is torn down.
var httpdPIDs []int

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 && haveIPVS() {
		if err := buildLab(); err != nil {
			labErr = "building the lab: " + err.Error()
		} else {
			labErr = ""
		}
	}
	code := m.Run()
	teardownLab()
	os.Exit(code)
}

func haveIPVS() bool {
	_, err := os.Stat("/proc/net/ip_vs")
	return err == nil
}

// lab returns once the scenario's namespaces exist, or skips (outside the VM) or fails.
func lab(t *testing.T) {
	t.Helper()
	requireVM(t)
	if labErr != "" {
		t.Fatal(labErr)
	}
}

// buildLab creates the LAN, the hosts, and on each real server the VIP on lo with
// arp_ignore=1 / arp_announce=2 and an HTTP server whose page names the server.
func buildLab() error {
	for _, h := range append([]host{{ns: lanNS}}, hosts...) {
		if _, err := os.Stat("/run/netns/" + h.ns); err == nil {
			return fmt.Errorf("network namespace %s exists already; the lab would not be its owner", h.ns)
		}
	}
	labOwned = true
	var sb strings.Builder
	fmt.Fprintf(&sb, "ip netns add %[1]s; ip -n %[1]s link set lo up\n", lanNS)
	fmt.Fprintf(&sb, "ip -n %s link add br0 type bridge stp_state 0 forward_delay 0\n", lanNS)
	fmt.Fprintf(&sb, "ip -n %s link set br0 up\n", lanNS)
	for _, h := range hosts {
		fmt.Fprintf(&sb, "ip netns add %[1]s; ip -n %[1]s link set lo up\n", h.ns)
		fmt.Fprintf(&sb, "ip -n %s link add v-%s type veth peer name eth0 netns %s\n", lanNS, h.ns, h.ns)
		fmt.Fprintf(&sb, "ip -n %s link set v-%s master br0 up\n", lanNS, h.ns)
		fmt.Fprintf(&sb, "ip -n %s addr add %s/24 dev eth0\n", h.ns, h.addr)
		fmt.Fprintf(&sb, "ip -n %s link set eth0 up\n", h.ns)
	}
	if _, err := runErr("sh", "-ec", shPrelude+sb.String()); err != nil {
		return err
	}
	for _, rs := range realServers {
		script := fmt.Sprintf(`
for k in all/arp_ignore eth0/arp_ignore; do echo 1 >/proc/sys/net/ipv4/conf/$k; done
for k in all/arp_announce eth0/arp_announce; do echo 2 >/proc/sys/net/ipv4/conf/$k; done
ip addr add %[1]s/32 dev lo
mkdir -p /tmp/www-%[2]s
echo '%[4]s %[3]s' >/tmp/www-%[2]s/index.html
httpd -f -p 80 -h /tmp/www-%[2]s </dev/null >/dev/null 2>&1 &
echo $!`, vip, rs.ns, rs.addr, rs.name())
		out, err := nsRunErr(rs.ns, script)
		if err != nil {
			return err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			return fmt.Errorf("httpd pid on %s: %q", rs.ns, out)
		}
		httpdPIDs = append(httpdPIDs, pid)
	}
	// Each real server answers on its own address before any test relies on it.
	for _, rs := range realServers {
		if out, err := nsRunErr(client.ns, "timeout 5 wget -q -O - http://"+rs.addr.String()+"/"); err != nil ||
			!strings.Contains(out, rs.name()) {
			return fmt.Errorf("real server %s does not answer: %q %v", rs.ns, out, err)
		}
	}
	return nil
}

func teardownLab() {
	for _, pid := range httpdPIDs {
		// httpd was orphaned by its shell (not our child): signal it, nothing to reap.
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
	if !labOwned {
		return
	}
	for _, h := range append([]host{{ns: lanNS}}, hosts...) {
		runErr("ip", "netns", "del", h.ns)
	}
	for _, rs := range realServers {
		os.RemoveAll("/tmp/www-" + rs.ns)
	}
}

//go:build vmtest

package vm

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The active-active lab (issue 15) on top of the reference scenario's: a router, BIRD 2 in its
// own namespace, between a client network and the LAN; three directors (A and B of the lab and
// C) that announce the VIP to it with BGP; the router spreads the client's flows over them by
// ECMP with an L4 hash. The real servers answer the client directly (DR), through the router.
var (
	router  = host{ns: nsPrefix + "router", addr: netip.MustParseAddr("10.10.10.1")}
	dirC    = host{ns: nsPrefix + "dirc", addr: netip.MustParseAddr("10.10.10.34")}
	eclient = host{ns: nsPrefix + "eclient", addr: netip.MustParseAddr("192.168.100.100")}

	// routerUp is the router's address on the client's network.
	routerUp   = netip.MustParseAddr("192.168.100.1")
	clientNet  = netip.MustParsePrefix("192.168.100.0/24")
	ecmpDirs   = []host{dirA, dirB, dirC}
	routerASN  = 65000
	directorAS = 65010
)

// ecmpHoldTime is the directors' BGP hold_time: the bound on how long the router keeps
// sending flows to a director that died without closing its session.
const ecmpHoldTime = 3 * time.Second

// ecmpLab adds the router, the client network and director C to the lab, and removes them
// (and gives A and B fresh namespaces) when the test ends.
func ecmpLab(t *testing.T) {
	t.Helper()
	lab(t)
	freshDirectors(t)
	for _, h := range []host{router, dirC, eclient} {
		if _, err := os.Stat("/run/netns/" + h.ns); err == nil {
			t.Fatalf("network namespace %s exists already; the ECMP lab would not be its owner", h.ns)
		}
	}
	t.Cleanup(func() {
		var sb strings.Builder
		for _, h := range []host{router, dirC, eclient} {
			fmt.Fprintf(&sb, "ip -n %s link del v-%s 2>/dev/null || true\n", lanNS, h.ns)
			fmt.Fprintf(&sb, "ip netns del %s 2>/dev/null || true\n", h.ns)
		}
		for _, rs := range realServers {
			fmt.Fprintf(&sb, "ip -n %s route del %s 2>/dev/null || true\n", rs.ns, clientNet)
		}
		fmt.Fprintf(&sb, "rm -rf %s\n", runDir(dirC))
		runErr("sh", "-c", shPrelude+sb.String())
	})

	var sb strings.Builder
	// The router: eth0 on the LAN, eth1 to the client; forwarding, and the L4 hash so that the
	// client's connections (one address) spread over the next hops by their ports.
	addLANHost(&sb, router)
	fmt.Fprintf(&sb, "ip netns add %[1]s; ip -n %[1]s link set lo up\n", eclient.ns)
	fmt.Fprintf(&sb, "ip -n %s link add eth1 type veth peer name eth0 netns %s\n", router.ns, eclient.ns)
	fmt.Fprintf(&sb, "ip -n %s addr add %s/24 dev eth1; ip -n %s link set eth1 up\n", router.ns, routerUp, router.ns)
	fmt.Fprintf(&sb, "ip -n %s addr add %s/24 dev eth0; ip -n %s link set eth0 up\n", eclient.ns, eclient.addr, eclient.ns)
	fmt.Fprintf(&sb, "ip -n %s route add default via %s\n", eclient.ns, routerUp)
	fmt.Fprintf(&sb, "ip netns exec %s sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1\n", router.ns)
	addLANHost(&sb, dirC)
	for _, d := range ecmpDirs {
		fmt.Fprintf(&sb, "ip -n %s route replace default via %s\n", d.ns, router.addr)
	}
	// The real servers answer the client (from the VIP, DR) through the router.
	for _, rs := range realServers {
		fmt.Fprintf(&sb, "ip -n %s route replace %s via %s\n", rs.ns, clientNet, router.addr)
	}
	if _, err := runErr("sh", "-ec", shPrelude+sb.String()); err != nil {
		t.Fatalf("building the ECMP lab: %v", err)
	}
}

// addLANHost writes the commands that make h a host on the LAN, as buildLab makes its hosts.
func addLANHost(sb *strings.Builder, h host) {
	fmt.Fprintf(sb, "ip netns add %[1]s; ip -n %[1]s link set lo up\n", h.ns)
	fmt.Fprintf(sb, "ip -n %s link add v-%s type veth peer name eth0 netns %s\n", lanNS, h.ns, h.ns)
	fmt.Fprintf(sb, "ip -n %s link set v-%s master br0 up\n", lanNS, h.ns)
	fmt.Fprintf(sb, "ip -n %s addr add %s/24 dev eth0\n", h.ns, h.addr)
	fmt.Fprintf(sb, "ip -n %s link set eth0 up\n", h.ns)
}

// rebuildECMPDirector is rebuildDirector (a reboot) plus the director's default route.
func rebuildECMPDirector(t *testing.T, h host) {
	t.Helper()
	rebuildDirector(t, h)
	nsRun(t, h.ns, fmt.Sprintf("ip route replace default via %s", router.addr))
}

// birdRouter is BIRD 2 in the router's namespace: one eBGP session per director, every
// director's route to the VIP merged into one multipath kernel route (`merge paths on`).
type birdRouter struct {
	conf, sock, log string
	cmd             *exec.Cmd
	done            chan struct{}
}

// birdConf is the router's BIRD configuration. The timers are short so that a director that
// comes back (or a session that failed) is accepted again at once: BIRD's defaults wait a
// minute after an error and two before retrying a connection.
func birdConf() string {
	var b strings.Builder
	fmt.Fprintf(&b, `router id %s;
log stderr all;
protocol device {
  scan time 1;
}
protocol kernel {
  ipv4 {
    import none;
    export all;
  };
  merge paths on;
}
template bgp director {
  local %s as %d;
  hold time %d;
  keepalive time 1;
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 2;
  ipv4 {
    import all;
    export none;
  };
}
`, router.addr, router.addr, routerASN, int(ecmpHoldTime/time.Second))
	for _, d := range ecmpDirs {
		fmt.Fprintf(&b, "protocol bgp %s from director {\n  neighbor %s as %d;\n}\n", d.name(), d.addr, directorAS)
	}
	return b.String()
}

// startRouter starts BIRD in the router's namespace; the test stops it by PID.
func startRouter(t *testing.T) *birdRouter {
	t.Helper()
	dir := t.TempDir()
	r := &birdRouter{conf: filepath.Join(dir, "bird.conf"), sock: filepath.Join(dir, "bird.ctl"), log: filepath.Join(dir, "bird.log")}
	if err := os.WriteFile(r.conf, []byte(birdConf()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	r.cmd = exec.Command("ip", "netns", "exec", router.ns, "/usr/sbin/bird", "-f", "-s", r.sock, "-c", r.conf)
	r.cmd.Stdout, r.cmd.Stderr = out, out
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("starting bird: %v", err)
	}
	r.done = make(chan struct{})
	go func() { r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			r.cmd.Process.Signal(syscall.SIGKILL)
			<-r.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(r.log)
			t.Logf("bird's log:\n%s", b)
		}
	})
	return r
}

// protocols is `birdcl show protocols`: one line per BGP session with its state.
func (r *birdRouter) protocols(t *testing.T) string {
	t.Helper()
	out, _ := runErr("/usr/sbin/birdcl", "-s", r.sock, "show", "protocols")
	return out
}

// established names the directors whose sessions BIRD has Established.
func (r *birdRouter) established(t *testing.T) []string {
	t.Helper()
	var up []string
	for _, line := range strings.Split(r.protocols(t), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "BGP" && f[len(f)-1] == "Established" {
			up = append(up, f[0])
		}
	}
	return up
}

// nextHops is the router's kernel route to the VIP: its next hops, sorted. It reads the route
// over netlink (no process start per poll, so that the bench can time a withdrawal closely).
func nextHops(t *testing.T) []netip.Addr {
	t.Helper()
	ns, err := netns.GetFromName(router.ns)
	if err != nil {
		t.Fatalf("router namespace: %v", err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink in %s: %v", router.ns, err)
	}
	defer h.Close()
	dst := &net.IPNet{IP: vip.AsSlice(), Mask: net.CIDRMask(32, 32)}
	routes, err := h.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Dst: dst}, netlink.RT_FILTER_DST)
	if err != nil {
		t.Fatalf("routes in %s: %v", router.ns, err)
	}
	var hops []netip.Addr
	add := func(ip net.IP) {
		if a, ok := netip.AddrFromSlice(ip.To4()); ok { // nil (no gateway) is not ok
			hops = append(hops, a)
		}
	}
	for _, r := range routes {
		add(r.Gw)
		for _, p := range r.MultiPath {
			add(p.Gw)
		}
	}
	slices.SortFunc(hops, func(a, b netip.Addr) int { return a.Compare(b) })
	return hops
}

// addrsOf is the directors' addresses, sorted as nextHops sorts.
func addrsOf(hs ...host) []netip.Addr {
	var out []netip.Addr
	for _, h := range hs {
		out = append(out, h.addr)
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// waitNextHops polls the router's route to the VIP until its next hops are exactly the
// addresses of want; it returns when that was seen and whether it was within limit.
func waitNextHops(t *testing.T, limit time.Duration, want ...host) (time.Time, bool) {
	t.Helper()
	w := addrsOf(want...)
	deadline := time.Now().Add(limit)
	for {
		if got := nextHops(t); slices.Equal(got, w) {
			return time.Now(), true
		}
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

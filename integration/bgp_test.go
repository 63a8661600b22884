//go:build integration

package integration

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// The active-active scenario on the host (issue 15): directors A and B each run halvs with a
// bgp block and peer with a router (the lab's client namespace); a real server namespace
// answers each director's health check on a port of its own, so that one director's virtual
// server can lose its quorum alone. This kernel has no IPVS: halvs is built with the
// halvs_memipvs tag (MemIPVSBinary), which programs an in-memory table and leaves health, quorum and BGP
// as they are.

const (
	bgpRouterASN   = 65000
	bgpDirectorASN = 65010
	bgpCheckEvery  = time.Second // delay_loop of the tracked virtual server
	bgpDrainTime   = 3 * time.Second
)

var addrRS4 = netip.MustParseAddr("10.10.10.31")

// bgpLab is the lab with a real server namespace and one health-check listener per director.
type bgpLab struct {
	*Lab
	RS        *Node
	listeners map[string]*checkListener // director name → the port its real_server names
	Bin       string                    // halvs built with halvs_memipvs
}

func newBGPLab(t *testing.T) *bgpLab {
	t.Helper()
	l := NewLab(t)
	bl := &bgpLab{Lab: l, listeners: map[string]*checkListener{}, Bin: MemIPVSBinary(t)}
	bl.RS = l.node("rs", "r", Prefix+"0", net.HardwareAddr{0x02, 0, 0x0a, 0x0a, 0x0a, 0x1f}, addrRS4, netip.MustParseAddr("fd00:10:10:10::31"))
	for i, d := range l.Directors() {
		bl.listeners[d.Name] = listenIn(t, bl.RS, netip.AddrPortFrom(addrRS4, uint16(8001+i)))
	}
	return bl
}

// checkListener accepts the health checks' connections on a real server; Close makes the
// checks fail (connection refused), Open makes them pass again.
type checkListener struct {
	t    *testing.T
	ns   *Node
	addr netip.AddrPort
	mu   sync.Mutex
	l    net.Listener
}

func listenIn(t *testing.T, n *Node, ap netip.AddrPort) *checkListener {
	t.Helper()
	c := &checkListener{t: t, ns: n, addr: ap}
	c.Open()
	t.Cleanup(c.Close)
	return c
}

func (c *checkListener) Open() {
	c.t.Helper()
	c.ns.NS.MustDo(func() error {
		l, err := net.Listen("tcp", c.addr.String())
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.l = l
		c.mu.Unlock()
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		return nil
	})
}

func (c *checkListener) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.l != nil {
		c.l.Close()
		c.l = nil
	}
}

// bgpDirectorConfig is a director's halvs.hcl: one virtual server with one real server on
// port, tracked by a bgp_announce of the VIP, one neighbor (the router).
// extra are more prefixes for the bgp_announce (a reload adds one).
func bgpDirectorConfig(n *Node, router netip.Addr, port uint16, runDir string, extra ...netip.Addr) string {
	prefixes := fmt.Sprintf("%q", VIP4.String()+"/32")
	for _, a := range extra {
		prefixes += fmt.Sprintf(", %q", a.String()+"/32")
	}
	return fmt.Sprintf(`global {
  control_socket = %q
}
virtual_server "%s:80" {
  protocol   = "TCP"
  lvs_method = "NAT"
  delay_loop = %d
  real_server "%s:%d" {
    tcp_check {
      connect_timeout = 1
      retry           = 0
    }
  }
}
bgp {
  asn       = %d
  router_id = %q
  interface = "lo"
  neighbor %q {
    peer_asn      = %d
    hold_time     = 3
    connect_retry = 1
  }
}
bgp_announce "web" {
  prefixes             = [%s]
  track_virtual_server = ["%s:80"]
  drain_time           = %d
}
`, filepath.Join(runDir, "halvs.sock"), VIP4, int(bgpCheckEvery/time.Second), addrRS4, port,
		bgpDirectorASN, n.Addr4, router, bgpRouterASN, prefixes, VIP4, int(bgpDrainTime/time.Second))
}

// startBGPDirector runs the fake-IPVS halvs on n with conf; killed when the test ends.
func (l *bgpLab) startDirector(t *testing.T, n *Node, conf func(runDir string) string) *Director {
	t.Helper()
	dir := t.TempDir()
	d := &Director{Impl: Halvs, Node: n, Dir: dir, RunDir: nodeRunDir(t, n), out: &syncBuffer{}, done: make(chan struct{})}
	d.Conf = filepath.Join(dir, "halvs.hcl")
	if err := os.WriteFile(d.Conf, []byte(conf(d.RunDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = n.NS.Command(context.Background(), l.Bin, "run", "-c", d.Conf, "--log-level", "debug")
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.Kill()
		if t.Failed() {
			t.Logf("halvs on %s, config %s:\n%s\noutput:\n%s", n.Name, d.Conf, d.config(), d.Output())
		}
	})
	return d
}

// ctl runs `halvs ARGS --socket` against d's control socket.
func (l *bgpLab) ctl(t *testing.T, d *Director, args ...string) string {
	t.Helper()
	out, err := exec.Command(l.Bin, append(args, "--socket", filepath.Join(d.RunDir, "halvs.sock"))...).CombinedOutput()
	if err != nil {
		t.Fatalf("halvs %s on %s: %v: %s", strings.Join(args, " "), d.Node.Name, err, out)
	}
	return string(out)
}

// nextHops reads the router's kernel route to addr/32: the gateways of its next hops,
// sorted ("10.10.10.29", "10.10.10.30"), nil when there is no such route.
func nextHops(t *testing.T, router *Node, addr netip.Addr) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", router.NS.Name, "ip", "-4", "route", "show", "exact", addr.String()+"/32").Output()
	if err != nil {
		t.Fatalf("ip route in %s: %v", router.NS.Name, err)
	}
	var hops []string
	f := strings.Fields(string(out))
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "via" {
			hops = append(hops, f[i+1])
		}
	}
	slices.Sort(hops)
	return hops
}

// waitHops waits until the router's next hops for the VIP are want and returns how long
// that took.
func waitHops(t *testing.T, router *Node, want []string, timeout time.Duration) time.Duration {
	t.Helper()
	return waitHopsFor(t, router, VIP4, want, timeout)
}

// waitHopsFor waits until the router's next hops for addr are want.
func waitHopsFor(t *testing.T, router *Node, addr netip.Addr, want []string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got []string
	for time.Since(start) < timeout {
		if got = nextHops(t, router, addr); slices.Equal(got, want) {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("router's next hops for %s: got %q after %v, want %q", addr, got, timeout, want)
	return 0
}

// bgpPrefix returns the VIP's entry in d's status.
func bgpPrefix(t *testing.T, d *Director) (announced bool, reason string) {
	t.Helper()
	st, err := d.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.BGP == nil {
		t.Fatalf("%s: status has no bgp section", d.Node.Name)
	}
	for _, p := range st.BGP.Prefixes {
		if p.Prefix == VIP4.String()+"/32" {
			return p.Announced, p.Reason
		}
	}
	t.Fatalf("%s: status lists no prefix %s/32: %+v", d.Node.Name, VIP4, st.BGP.Prefixes)
	return false, ""
}

// HasAddrOn reports whether the node's interface dev holds addr now.
func (n *Node) HasAddrOn(dev string, addr netip.Addr) bool {
	link, err := n.NS.Handle.LinkByName(dev)
	if err != nil {
		return false
	}
	list, err := n.NS.Handle.AddrList(link, 0)
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

// runBGPScenario is the behaviour every router must show (issue 15): one next hop per healthy
// director; a director whose tracked virtual server loses its quorum is withdrawn within one
// check interval and comes back when it recovers; halvs drain withdraws, undrain announces;
// SIGTERM withdraws before the daemon exits.
func runBGPScenario(t *testing.T, l *bgpLab) {
	router := l.Client
	ds := map[string]*Director{}
	for i, n := range l.Directors() {
		port := uint16(8001 + i)
		ds[n.Name] = l.startDirector(t, n, func(runDir string) string { return bgpDirectorConfig(n, router.Addr4, port, runDir) })
	}
	a, b := ds["A"], ds["B"]
	both := []string{l.B.Addr4.String(), l.A.Addr4.String()} // sorted: .29, .30
	onlyA, onlyB := []string{l.A.Addr4.String()}, []string{l.B.Addr4.String()}

	t.Log("sessions up, both directors healthy: one next hop each")
	waitHops(t, router, both, 60*time.Second)
	if ok, why := bgpPrefix(t, a); !ok || why != "every tracked virtual server has quorum" {
		t.Errorf("A's status: announced=%v reason %q", ok, why)
	}
	st, err := a.Status()
	if err != nil {
		t.Fatal(err)
	}
	if n := st.BGP.Neighbors; len(n) != 1 || !n[0].Up || n[0].State != "ESTABLISHED" || n[0].Address != router.Addr4.String() {
		t.Errorf("A's neighbors: %+v, want %s ESTABLISHED", n, router.Addr4)
	}
	if !a.Node.HasAddrOn("lo", VIP4) {
		t.Errorf("A does not hold %s on lo (IPVS would not take its traffic)", VIP4)
	}

	t.Log("no director answers ARP for the announced address (it is on lo, arp_ignore raised)")
	if mac, state := arpFrom(t, l.RS, VIP4); mac != nil {
		t.Errorf("the real server's segment resolved %s to %s (%s): a director answers ARP for it", VIP4, mac, state)
	}

	t.Log("A's real server down: A's route is withdrawn within one check interval")
	l.listeners["A"].Close()
	took := waitHops(t, router, onlyB, 30*time.Second)
	t.Logf("A withdrawn %v after its real server went down (check interval %v)", took, bgpCheckEvery)
	if limit := bgpCheckEvery + time.Second; took > limit {
		t.Errorf("A's route went %v after its real server, want within one check interval (%v) and a second for BGP", took, limit)
	}
	if ok, why := bgpPrefix(t, a); ok || why != "virtual server "+VIP4.String()+":80 lost quorum" {
		t.Errorf("A's status after the loss: announced=%v reason %q", ok, why)
	}

	t.Log("A's real server back: A announced again")
	l.listeners["A"].Open()
	waitHops(t, router, both, 30*time.Second)

	t.Log("halvs drain on B withdraws B; undrain announces it again")
	out := l.ctl(t, b, "drain")
	if !strings.Contains(out, VIP4.String()+"/32") {
		t.Errorf("halvs drain output names no prefix: %q", out)
	}
	waitHops(t, router, onlyA, 30*time.Second)
	if ok, why := bgpPrefix(t, b); ok || why != "draining" {
		t.Errorf("B's status after drain: announced=%v reason %q", ok, why)
	}
	l.ctl(t, b, "undrain")
	waitHops(t, router, both, 30*time.Second)

	t.Log("a reload on B adds a prefix in place: the router learns it from B alone")
	extra := netip.MustParseAddr("10.10.10.23")
	b.render = func(Instance) string {
		return bgpDirectorConfig(l.B, router.Addr4, l.listeners["B"].addr.Port(), b.RunDir, extra)
	}
	if err := b.Rewrite(Instance{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitHopsFor(t, router, extra, onlyB, 30*time.Second)
	if got := nextHops(t, router, VIP4); !slices.Equal(got, both) {
		t.Errorf("after B's reload the VIP's next hops are %q, want %q (the session must not flap)", got, both)
	}

	t.Log("SIGTERM on A: its route is withdrawn while it still runs, then it stops after drain_time")
	sent := time.Now()
	if err := a.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitHops(t, router, onlyB, 30*time.Second)
	gone := time.Since(sent)
	if a.Exited() {
		t.Fatalf("A exited before the router dropped its route (%v after SIGTERM)", gone)
	}
	select {
	case <-a.done:
	case <-time.After(bgpDrainTime + 30*time.Second):
		t.Fatalf("A still runs %v after SIGTERM", bgpDrainTime+30*time.Second)
	}
	exited := time.Since(sent)
	t.Logf("route gone %v after SIGTERM, A exited %v after it (drain_time %v)", gone, exited, bgpDrainTime)
	if exited < bgpDrainTime {
		t.Errorf("A exited %v after SIGTERM, before its drain_time %v", exited, bgpDrainTime)
	}
	if l.A.HasAddrOn("lo", VIP4) {
		t.Errorf("A left %s on lo after stopping", VIP4)
	}
}

// arpFrom makes n resolve addr on its segment (a datagram to port 9) and returns the MAC its
// neighbour table then holds for addr, nil when nobody answered.
func arpFrom(t *testing.T, n *Node, addr netip.Addr) (net.HardwareAddr, string) {
	t.Helper()
	n.NS.MustDo(func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 9)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, _ = c.Write([]byte("halvs"))
		return nil
	})
	link, err := n.NS.Handle.LinkByName(n.If)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel sends 3 probes a second apart (ucast_solicit + mcast_solicit) before it
	// gives up; an answer, if any, comes within the first.
	deadline := time.Now().Add(4 * time.Second)
	for {
		list, err := n.NS.Handle.NeighList(link.Attrs().Index, netlink.FAMILY_V4)
		if err != nil {
			t.Fatal(err)
		}
		for _, nb := range list {
			if ip, ok := netip.AddrFromSlice(nb.IP); ok && ip.Unmap() == addr {
				if len(nb.HardwareAddr) == 6 && nb.State&(netlink.NUD_REACHABLE|netlink.NUD_STALE|netlink.NUD_DELAY|netlink.NUD_PROBE) != 0 {
					return nb.HardwareAddr, neighState(nb.State)
				}
				if nb.State&netlink.NUD_FAILED != 0 {
					return nil, neighState(nb.State)
				}
			}
		}
		if time.Now().After(deadline) {
			return nil, "no answer"
		}
		time.Sleep(50 * time.Millisecond)
	}
}

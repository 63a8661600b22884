//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bgpRouter is a routing daemon running in the router's namespace, owned by the test.
type bgpRouter struct {
	name string
	cmds []*exec.Cmd
	logs []*syncBuffer
}

func (r *bgpRouter) stop() {
	for _, c := range r.cmds {
		if c.Process != nil && c.ProcessState == nil {
			_ = c.Process.Signal(syscall.SIGKILL)
			_ = c.Wait()
		}
	}
}

func (r *bgpRouter) output() string {
	var b strings.Builder
	for _, l := range r.logs {
		b.WriteString(l.String())
	}
	return b.String()
}

// startBird runs BIRD 2 in router's namespace, peering with every director: ECMP into the
// kernel table (merge paths), BGP routes imported, nothing exported to the directors.
func startBird(t *testing.T, router *Node, directors []*Node) *bgpRouter {
	t.Helper()
	bird := "/usr/sbin/bird"
	if _, err := os.Stat(bird); err != nil {
		t.Skip("BIRD 2 is not installed (scripts/install-deps.sh installs bird2)")
	}
	dir := t.TempDir()
	var conf strings.Builder
	fmt.Fprintf(&conf, `router id %s;
log stderr all;
protocol device { }
protocol kernel {
  ipv4 { export all; };
  merge paths on;
}
`, router.Addr4)
	for _, d := range directors {
		fmt.Fprintf(&conf, `protocol bgp director_%s {
  local %s as %d;
  neighbor %s as %d;
  hold time 3;
  connect retry time 1;
  error wait time 1, 5;
  ipv4 { import all; export none; };
}
`, d.Name, router.Addr4, bgpRouterASN, d.Addr4, bgpDirectorASN)
	}
	path := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &bgpRouter{name: "bird", logs: []*syncBuffer{{}}}
	cmd := router.NS.Command(context.Background(), bird, "-f", "-s", filepath.Join(dir, "bird.ctl"), "-c", path, "-P", filepath.Join(dir, "bird.pid"))
	cmd.Stdout, cmd.Stderr = r.logs[0], r.logs[0]
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmds = append(r.cmds, cmd)
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("bird.conf:\n%s\nbird output:\n%s", conf.String(), r.output())
		}
	})
	return r
}

func TestBGPBird(t *testing.T) {
	l := newBGPLab(t)
	startBird(t, l.Client, l.Directors())
	runBGPScenario(t, l)
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
		ds[n.Name] = startBGPDirector(t, n, func(runDir string) string { return bgpDirectorConfig(n, router.Addr4, port, runDir) })
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
	out := halvsCtl(t, b, "drain")
	if !strings.Contains(out, VIP4.String()+"/32") {
		t.Errorf("halvs drain output names no prefix: %q", out)
	}
	waitHops(t, router, onlyA, 30*time.Second)
	if ok, why := bgpPrefix(t, b); ok || why != "draining" {
		t.Errorf("B's status after drain: announced=%v reason %q", ok, why)
	}
	halvsCtl(t, b, "undrain")
	waitHops(t, router, both, 30*time.Second)

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

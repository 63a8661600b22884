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

//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startFRR runs FRR's zebra and bgpd in router's namespace, owned by the test (no watchfrr,
// no vty port, every path in the test's directory): bgpd peers with every
// director with multipath on, and zebra installs the ECMP route in the kernel table.
func startFRR(t *testing.T, router *Node, directors []*Node) *bgpRouter {
	t.Helper()
	const frr = "/usr/lib/frr"
	for _, d := range []string{"zebra", "bgpd"} {
		if _, err := os.Stat(filepath.Join(frr, d)); err != nil {
			t.Skip("FRR is not installed (scripts/install-deps.sh installs frr)")
		}
	}
	// FRR's daemons drop to the frr user (keeping the capabilities they need), so their
	// directory is one that user can write.
	dir, err := os.MkdirTemp("", "halvs-frr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	zsock := filepath.Join(dir, "zserv.api")
	var conf strings.Builder
	fmt.Fprintf(&conf, `frr defaults datacenter
hostname router
log stdout debugging
router bgp %d
 bgp router-id %s
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
`, bgpRouterASN, router.Addr4)
	for _, d := range directors {
		fmt.Fprintf(&conf, " neighbor %s remote-as %d\n neighbor %s timers 1 3\n neighbor %s timers connect 1\n", d.Addr4, bgpDirectorASN, d.Addr4, d.Addr4)
	}
	conf.WriteString(" address-family ipv4 unicast\n  maximum-paths 8\n")
	for _, d := range directors {
		fmt.Fprintf(&conf, "  neighbor %s activate\n", d.Addr4)
	}
	conf.WriteString(" exit-address-family\n")
	bgpConf := filepath.Join(dir, "bgpd.conf")
	zebraConf := filepath.Join(dir, "zebra.conf")
	if err := os.WriteFile(bgpConf, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zebraConf, []byte("hostname router\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &bgpRouter{name: "frr"}
	t.Cleanup(func() {
		r.stop()
		if t.Failed() {
			t.Logf("bgpd.conf:\n%s\nFRR output:\n%s", conf.String(), r.output())
		}
	})
	common := []string{"--vty_socket", dir, "-z", zsock, "-P", "0", "--log", "stdout"}
	start := func(daemon string, args ...string) {
		t.Helper()
		out := &syncBuffer{}
		cmd := router.NS.Command(context.Background(), filepath.Join(frr, daemon), append(append([]string{}, common...), args...)...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r.cmds, r.logs = append(r.cmds, cmd), append(r.logs, out)
	}
	start("zebra", "-f", zebraConf, "-i", filepath.Join(dir, "zebra.pid"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(zsock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zebra made no socket %s in 10s:\n%s", zsock, r.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start("bgpd", "-f", bgpConf, "-i", filepath.Join(dir, "bgpd.pid"))
	return r
}

func TestBGPFRR(t *testing.T) {
	l := newBGPLab(t)
	startFRR(t, l.Client, l.Directors())
	runBGPScenario(t, l)
}

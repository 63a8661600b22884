package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/netnstest"
	"github.com/halvs/halvs/internal/testutil"
)

const pairHCL = `global {
  router_id      = %q
  control_socket = %q
  metrics_listen = "127.0.0.1:9650"
}
vrrp_instance "VI_1" {
  interface         = %q
  virtual_router_id = 61
  priority          = %d
  version           = 3
  advert_int        = "100ms"
  virtual_ipaddress = ["192.0.2.100/24"]
}
`

// pairNode is one director of the pair: its namespace, interface, socket and halvs run.
type pairNode struct {
	ns     *netnstest.NS
	dev    string
	socket string
	logs   *syncBuffer
}

// halvs runs `halvs ARGS` (this test binary as halvs) inside the node's namespace and
// returns its exit code and output.
func (n *pairNode) halvs(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := n.ns.Command(context.Background(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HALVS_TEST_AS_HALVS=1")
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		code = cmd.ProcessState.ExitCode()
	}
	return code, string(out)
}

func (n *pairNode) hasVIP() bool {
	return strings.Contains(n.ns.Run("ip", "-o", "addr", "show", "dev", n.dev), " 192.0.2.100/24 ")
}

// scrape reads /metrics from inside the namespace (the port is on its own loopback).
func (n *pairNode) scrape(t *testing.T) string {
	t.Helper()
	var body string
	n.ns.MustDo(func() error {
		c, err := net.DialTimeout("tcp", "127.0.0.1:9650", 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.0\r\nHost: halvs\r\n\r\n"); err != nil {
			return err
		}
		b, err := io.ReadAll(c)
		body = string(b)
		return err
	})
	return body
}

// metric returns the value of the series named exactly series (name{labels}), or -1.
func metric(body, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestFailoverAndDrillInNamespaces runs a VRRP pair, A (150) and B (100), each `halvs run`
// in its own namespace joined by a veth, each with a TCP listener on port 80 standing in for
// the service. `halvs failover` on A moves the VIP to B and reports the takeover time; A
// takes it back after the hold. `halvs drill` on A reports takeover, failed requests and
// time back. Metrics, scraped inside each namespace, move.
func TestFailoverAndDrillInNamespaces(t *testing.T) {
	lab := netnstest.New(t, "hf")
	dir := t.TempDir()
	a := &pairNode{ns: lab.NewNS("a"), dev: "hf0", socket: filepath.Join(dir, "a.sock"), logs: &syncBuffer{}}
	b := &pairNode{ns: lab.NewNS("b"), dev: "hf1", socket: filepath.Join(dir, "b.sock"), logs: &syncBuffer{}}
	a.ns.Run("ip", "link", "add", "hf0", "type", "veth", "peer", "name", "hf1", "netns", b.ns.Name)
	a.ns.Run("ip", "addr", "add", "192.0.2.1/24", "dev", "hf0")
	b.ns.Run("ip", "addr", "add", "192.0.2.2/24", "dev", "hf1")
	a.ns.Run("ip", "link", "set", "hf0", "up")
	b.ns.Run("ip", "link", "set", "hf1", "up")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i, n := range []*pairNode{a, b} {
		// The service: a listener on every address, so it answers on the VIP wherever it is.
		n.ns.MustDo(func() error {
			l, err := net.Listen("tcp", "0.0.0.0:80")
			if err != nil {
				return err
			}
			testutil.ServeListener(t, l, func(c net.Conn) { c.Close() })
			return nil
		})
		name := []string{"director-a", "director-b"}[i]
		path := filepath.Join(dir, name+".hcl")
		hcl := fmt.Sprintf(pairHCL, name, n.socket, n.dev, []int{150, 100}[i])
		if err := os.WriteFile(path, []byte(hcl), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := n.ns.Command(ctx, os.Args[0], "run", "-c", path)
		cmd.Env = append(os.Environ(), "HALVS_TEST_AS_HALVS=1")
		cmd.Stdout, cmd.Stderr = n.logs, n.logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
			if t.Failed() {
				t.Logf("%s log:\n%s", name, n.logs.String())
			}
		})
	}
	waitFor(t, "A MASTER with the VIP", func() bool { return a.hasVIP() })
	waitFor(t, "B BACKUP", func() bool { return strings.Contains(b.logs.String(), `msg="Entering BACKUP STATE"`) })
	_, status := a.halvs(t, "status", "--socket", a.socket)
	t.Logf("halvs status on A:\n%s", status)
	before := a.scrape(t)
	beforeB := b.scrape(t)

	// halvs failover: B takes the VIP; A reports how long that took.
	code, out := a.halvs(t, "failover", "--socket", a.socket, "--hold", "3s")
	t.Logf("halvs failover:\n%s", out)
	if code != exitOK || !regexp.MustCompile(`VI_1: 192\.0\.2\.2 claimed the VIPs after \d+(\.\d+)?m?s`).MatchString(out) {
		t.Fatalf("halvs failover exit %d:\n%s", code, out)
	}
	waitFor(t, "the VIP on B", func() bool { return b.hasVIP() })
	if a.hasVIP() {
		t.Error("the VIP is on both directors after the failover")
	}
	_, status = a.halvs(t, "status", "--socket", a.socket)
	t.Logf("halvs status on A during the hold:\n%s", status)
	if !strings.Contains(status, "held BACKUP by a failover") {
		t.Errorf("status during the hold does not show it:\n%s", status)
	}
	// After the hold A preempts back.
	waitFor(t, "the VIP back on A", func() bool { return a.hasVIP() && !b.hasVIP() })

	// halvs drill: the whole exercise with probes.
	code, out = a.halvs(t, "drill", "--socket", a.socket, "--hold", "2s", "--requests-per-second", "20")
	t.Logf("halvs drill:\n%s", out)
	if code != exitOK {
		t.Fatalf("halvs drill exit %d:\n%s", code, out)
	}
	for _, want := range []string{"takeover   ", "by 192.0.2.2", "requests   ", "time back  ", "after the hold ended (192.0.2.1 took the VIPs back)", "result     PASSED"} {
		if !strings.Contains(out, want) {
			t.Errorf("drill report lacks %q", want)
		}
	}

	// The metrics moved: A entered BACKUP twice more and sent priority 0 twice; B took over
	// twice and timed it.
	after, afterB := a.scrape(t), b.scrape(t)
	checks := []struct {
		body, series string
		before, min  float64
	}{
		{after, `halvs_vrrp_transitions_total{interface="hf0",state="BACKUP",vrid="61",vrrp_instance="VI_1"}`, metric(before, `halvs_vrrp_transitions_total{interface="hf0",state="BACKUP",vrid="61",vrrp_instance="VI_1"}`), 2},
		{after, `halvs_vrrp_transitions_total{interface="hf0",state="MASTER",vrid="61",vrrp_instance="VI_1"}`, metric(before, `halvs_vrrp_transitions_total{interface="hf0",state="MASTER",vrid="61",vrrp_instance="VI_1"}`), 2},
		{after, `halvs_vrrp_priority_zero_sent_total{interface="hf0",vrid="61",vrrp_instance="VI_1"}`, metric(before, `halvs_vrrp_priority_zero_sent_total{interface="hf0",vrid="61",vrrp_instance="VI_1"}`), 2},
		{after, `halvs_vrrp_adverts_sent_total{interface="hf0",vrid="61",vrrp_instance="VI_1"}`, metric(before, `halvs_vrrp_adverts_sent_total{interface="hf0",vrid="61",vrrp_instance="VI_1"}`), 1},
		{afterB, `halvs_vrrp_takeover_duration_seconds_count{vrrp_instance="VI_1"}`, max(metric(beforeB, `halvs_vrrp_takeover_duration_seconds_count{vrrp_instance="VI_1"}`), 0), 2},
		{afterB, `halvs_vrrp_adverts_received_total{interface="hf1",vrid="61",vrrp_instance="VI_1"}`, metric(beforeB, `halvs_vrrp_adverts_received_total{interface="hf1",vrid="61",vrrp_instance="VI_1"}`), 1},
	}
	for _, c := range checks {
		if got := metric(c.body, c.series); c.before < 0 || got-c.before < c.min {
			t.Errorf("%s went from %v to %v, want +%v", c.series, c.before, got, c.min)
		}
	}
	if metric(after, `halvs_config_last_reload_success_timestamp_seconds`) <= 0 {
		t.Error("halvs_config_last_reload_success_timestamp_seconds not set at startup")
	}
}

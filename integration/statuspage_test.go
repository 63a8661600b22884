//go:build integration

package integration

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/statuspage"
)

// pageView is what the test reads of the status page's DOM.
type pageView struct {
	Refreshes int               `json:"refreshes"`
	Mark      bool              `json:"mark"` // set by the test: the document was not reloaded
	State     string            `json:"state"`
	Servers   map[string]string `json:"servers"` // real server → its row's class
	Events    []string          `json:"events"`
}

const pageViewJS = `JSON.parse(JSON.stringify({
  refreshes: parseInt(document.body.getAttribute("data-refreshes"), 10),
  mark: window.halvsTestMark === true,
  state: (document.querySelector('tr.inst[data-name="VI_1"] td.state') || {}).textContent || "",
  servers: Object.fromEntries(Array.from(document.querySelectorAll("tr.rs")).map(function (r) { return [r.getAttribute("data-addr"), r.className]; })),
  events: Array.from(document.querySelectorAll("tr.ev")).map(function (r) { return r.textContent; })
}))`

// waitPage reads the page until cond holds, or fails after timeout.
func waitPage(t *testing.T, b *Browser, what string, timeout time.Duration, cond func(pageView) bool) pageView {
	t.Helper()
	var v pageView
	var lastErr error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		v = pageView{}
		if lastErr = b.Eval(pageViewJS, &v); lastErr == nil && cond(v) {
			return v
		}
	}
	t.Fatalf("status page: %s not seen within %v; last view %+v (err %v)", what, timeout, v, lastErr)
	return v
}

func hasEvent(v pageView, parts ...string) bool {
	for _, e := range v.Events {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(e, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestStatusPageInBrowser: director A (MASTER of the pair) serves its status page on
// metrics_listen; headless Chromium, in the client's namespace, loads it. The page shows the
// instance MASTER, a virtual server whose real servers are checked for real (one listening
// in the client's namespace, up; one with nothing listening, down) and the election among
// its events. A failover, then the up server's listener closing, change the open page
// without a reload: its script refreshes from /status.json. HALVS_SCREENSHOT=FILE writes
// the page as a PNG (docs/status-page.png).
func TestStatusPageInBrowser(t *testing.T) {
	RequireImpl(t, Halvs)
	if _, err := exec.LookPath(ChromiumBinary()); err != nil {
		t.Skipf("chromium is not installed (%s; scripts/install-deps.sh installs it)", ChromiumBinary())
	}
	t.Setenv("HALVS_BIN", MemIPVSBinary(t))
	p := newPair(t, VIP4, Halvs)
	lab := p.lab

	// Real server 10.10.10.100:8080 listens in the client's namespace; :8081 does not.
	var ln net.Listener
	lab.Client.NS.MustDo(func() (err error) {
		ln, err = net.Listen("tcp", lab.Client.Addr4.String()+":8080")
		return err
	})
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	up, down := lab.Client.Addr4.String()+":8080", lab.Client.Addr4.String()+":8081"
	listen := lab.A.Addr4.String() + ":9650"
	a := fast(150)
	a.HCLGlobal = fmt.Sprintf("  metrics_listen = %q\n", listen)
	a.HCLTop = fmt.Sprintf(`virtual_server "%s:80" {
  protocol = "TCP"
  lb_algo  = "wrr"
  lb_kind  = "DR"
  real_server %q {
    weight = 3
    tcp_check {
      delay_loop      = "500ms"
      connect_timeout = "1s"
      retry           = 0
    }
  }
  real_server %q {
    weight = 1
    tcp_check {
      delay_loop      = "500ms"
      connect_timeout = "1s"
      retry           = 0
    }
  }
}

`, VIP4, up, down)
	mark := p.obs.Mark()
	da := p.start(Halvs, lab.A, a)
	p.start(Halvs, lab.B, fast(100))
	p.expectMaster(mark, lab.A, 10*time.Second, 300*time.Millisecond)

	b := StartBrowser(t, lab.Client)
	b.Open("http://" + listen + "/")
	v := waitPage(t, b, "MASTER, one server up and one down, the election, after a refresh", 20*time.Second, func(v pageView) bool {
		return v.Refreshes > 0 && v.State == "MASTER" && strings.Contains(v.Servers[up], "h-up") &&
			strings.Contains(v.Servers[down], "h-down") && hasEvent(v, "vrrp", "VI_1", "→ MASTER")
	})
	if path := os.Getenv("HALVS_SCREENSHOT"); path != "" {
		if err := b.Screenshot(path); err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}
	if err := b.Eval("window.halvsTestMark = true", new(bool)); err != nil {
		t.Fatal(err)
	}

	// A failover: A sends priority 0 and holds BACKUP; the open page follows.
	cmd := exec.Command(HalvsBinary(), "failover", "--socket", filepath.Join(da.RunDir, "halvs.sock"), "--hold", "1m")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("halvs failover: %v\n%s", err, out)
	}
	seen := v.Refreshes
	v = waitPage(t, b, "BACKUP and the failover among the events", 15*time.Second, func(v pageView) bool {
		return v.Refreshes > seen && v.State == "BACKUP" && hasEvent(v, "vrrp", "VI_1", "MASTER → BACKUP")
	})
	if !v.Mark {
		t.Error("the page was reloaded; its script should have refreshed it in place")
	}

	// The up server's listener closes: its checker fails and the row turns down.
	ln.Close()
	v = waitPage(t, b, up+" down", 15*time.Second, func(v pageView) bool {
		return strings.Contains(v.Servers[up], "h-down") && hasEvent(v, "check", "real server "+up+" down")
	})
	if !v.Mark {
		t.Error("the page was reloaded; its script should have refreshed it in place")
	}
}

// TestStatusPageScriptMatchesServer: the page's script redraws every table exactly as the
// server rendered it, from the same document: a director with one of everything (instances
// MASTER and FAULT with trackers, a virtual server with a real server up and one down, BGP,
// events, a failed reload), served on loopback, read in Chromium before and after one
// refresh.
func TestStatusPageScriptMatchesServer(t *testing.T) {
	for name, st := range map[string]*control.Status{
		"one of everything": pageFixture(),
		"nothing":           {SchemaVersion: control.StatusVersion, Time: time.Now().UTC(), RouterID: "director-b"},
	} {
		t.Run(name, func(t *testing.T) { scriptMatchesServer(t, st) })
	}
}

func scriptMatchesServer(t *testing.T, st *control.Status) {
	srv := httptest.NewServer(statuspage.Handler(func(context.Context) (*control.Status, error) { return st, nil }, "test", nil))
	t.Cleanup(srv.Close)
	b := StartBrowser(t, nil)
	b.Open(srv.URL + "/")
	const sections = `JSON.parse(JSON.stringify({
  refreshes: parseInt(document.body.getAttribute("data-refreshes"), 10),
  html: ["instances", "servers", "bgp", "events", "reload", "syncd"].map(function (id) {
    return document.getElementById(id).outerHTML.replace(/>\s+</g, "><").trim();
  })
}))`
	type view struct {
		Refreshes int      `json:"refreshes"`
		HTML      []string `json:"html"`
	}
	var before, after view
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := b.Eval(sections, &before); err == nil && len(before.HTML) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page did not load")
		}
	}
	if before.Refreshes != 0 {
		t.Fatalf("refreshed %d times already: the server's rendering is gone", before.Refreshes)
	}
	for deadline := time.Now().Add(15 * time.Second); after.Refreshes == 0; time.Sleep(100 * time.Millisecond) {
		if err := b.Eval(sections, &after); err != nil || time.Now().After(deadline) {
			t.Fatalf("no refresh within 15s (err %v)", err)
		}
	}
	for i, id := range []string{"instances", "servers", "bgp", "events", "reload", "syncd"} {
		if diff := cmp.Diff(before.HTML[i], after.HTML[i]); diff != "" {
			t.Errorf("#%s, server-rendered vs script-rendered (-server +script):\n%s", id, diff)
		}
	}
}

// pageFixture is a status document with one of everything the page shows.
func pageFixture() *control.Status {
	at := time.Now().UTC().Truncate(time.Second)
	three := 3
	ap := netip.MustParseAddrPort
	return &control.Status{
		SchemaVersion: control.StatusVersion, Time: at, RouterID: "director-a", ConfigFile: "/etc/halvs/halvs.hcl",
		ConfigLoaded: at.Add(-time.Hour), Started: at.Add(-26 * time.Hour),
		LastReload: &control.Reload{At: at.Add(-5 * time.Minute), Result: "failure", Errors: []string{`halvs.hcl:9:11: error: state must be "MASTER" or "BACKUP" <not> "MASTR"`}},
		Instances: []control.Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, State: "MASTER", Priority: 150, EffectivePriority: 144,
			MasterAddr: netip.MustParseAddr("10.10.10.30"), Since: at.Add(-2*time.Hour - 4*time.Minute),
			LastTransition: &control.Transition{From: "BACKUP", To: "MASTER", Reason: "master down timer expired", At: at.Add(-2*time.Hour - 4*time.Minute)},
			VIPs:           []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32"), netip.MustParsePrefix("fd00::22/128")},
			Trackers: []control.Tracker{{Kind: "interface", Name: "eth1", Weight: 10, State: "up"},
				{Kind: "script", Name: "chk", Weight: -20, Reverse: true, State: "down"},
				{Kind: "file", Name: "drain", Weight: -2, State: "value", Value: &three}},
		}, {
			Name: "VI_2", Interface: "eth1", VMAC: "vrrp.52", VRID: 52, State: "FAULT", Priority: 100, EffectivePriority: 100,
			Since: at.Add(-90 * time.Second), Faults: []string{"eth1 down", "chk"},
		}},
		VirtualServers: []control.VirtualServer{{
			Name: "10.10.10.22:80", Protocol: "TCP", Scheduler: "wrr", Method: "DR", Quorum: 1, QuorumUp: true, AliveWeight: 3,
			Stats: &control.IPVSStats{Connections: 18234, CPS: 12, InPPS: 2400, OutPPS: 7, InBPS: 3 << 20, OutBPS: 999, BytesIn: 5 << 30, BytesOut: 1500},
			RealServers: []control.RealServer{
				{Addr: ap("10.10.10.31:80"), Weight: 3, EffectiveWeight: 3, InTable: true, Health: control.HealthUp,
					LastCheck:   &control.CheckResult{Checker: "tcp_check 10.10.10.31:80", At: at.Add(-4 * time.Second), OK: true, Latency: control.Duration(412 * time.Microsecond)},
					ActiveConns: 12, InactiveConns: 40, Stats: &control.IPVSStats{Connections: 18234, CPS: 12, InPPS: 1_234_567}},
				{Addr: ap("10.10.10.32:80"), Weight: 3, Health: control.HealthDown,
					LastCheck: &control.CheckResult{Checker: "tcp_check 10.10.10.32:80", At: at.Add(-time.Second),
						Latency: control.Duration(1200 * time.Microsecond), Error: "connect: connection refused"}},
				{Addr: ap("10.10.10.33:80"), Weight: 1, Health: control.HealthUnknown},
			},
		}, {
			Name: "fwmark:1", Scheduler: "mh", Method: "TUN", Quorum: 2, SorryActive: true,
		}},
		SyncDaemon: &control.SyncDaemon{Role: "master", Interface: "eth0", SyncID: 51, Instance: "VI_1"},
		BGP: &control.BGP{ASN: 65001, RouterID: "10.10.10.30", Drained: true,
			Neighbors: []control.BGPNeighbor{{Address: "10.10.10.1", PeerASN: 65000, State: "ESTABLISHED", Up: true, Since: at.Add(-time.Hour)},
				{Address: "10.10.10.2", PeerASN: 65000, State: "ACTIVE"}},
			Prefixes: []control.BGPPrefix{{Prefix: "10.10.10.22/32", Announce: "web", Announced: true, Reason: "quorum up", Since: at.Add(-time.Hour)},
				{Prefix: "10.10.10.23/32", Announce: "dns", Reason: "drained"}}},
		Events: []control.Event{
			{At: at.Add(-5 * time.Minute), Kind: "reload", Subject: "/etc/halvs/halvs.hcl", State: "failure", Message: "reload refused <b>x</b>"},
			{At: at.Add(-time.Hour), Kind: "check", Subject: "10.10.10.22:80/TCP → 10.10.10.32:80", State: "down", Message: "real server 10.10.10.32:80 down"},
			{At: at.Add(-2*time.Hour - 4*time.Minute), Kind: "vrrp", Subject: "VI_1", State: "MASTER", Message: "BACKUP → MASTER: master down timer expired"},
		},
	}
}

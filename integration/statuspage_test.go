//go:build integration

package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memIPVSHalvs builds halvs with -tags halvs_memipvs (an in-memory IPVS table: this host's
// kernel has none) and makes it the binary StartDirector runs.
func memIPVSHalvs(t *testing.T) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "halvs")
	cmd := exec.Command("go", "build", "-tags", "halvs_memipvs", "-o", bin, "./cmd/halvs")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags halvs_memipvs: %v\n%s", err, out)
	}
	t.Setenv("HALVS_BIN", bin)
}

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
	memIPVSHalvs(t)
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

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/director"
)

// TestRunStopBoundedByScripts is issue 17's reproduction: notify_master and notify_stop
// ignore SIGTERM and sleep 120 s. SIGTERM to `halvs run` must still end it within
// director.DefaultScriptWait (and some slack), the VIP released and the scripts' process
// groups killed; a second SIGTERM ends it at once, without waiting out the bound.
func TestRunStopBoundedByScripts(t *testing.T) {
	tests := []struct {
		name   string
		second bool          // send a second SIGTERM once the STOP is logged
		within time.Duration // from the last SIGTERM to the exit
	}{
		{name: "one SIGTERM: the wait is bounded", within: director.DefaultScriptWait + 5*time.Second},
		{name: "a second SIGTERM: no wait", second: true, within: director.DefaultScriptWait / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := vethNS(t, "hs", "stop", "hs")

			dir := t.TempDir()
			// Each script records its pid (its process group's id) and hangs.
			hang := func(name string) string {
				p := filepath.Join(dir, name+".sh")
				body := fmt.Sprintf("#!/bin/sh\ntrap '' TERM\necho $$ > %s.pid\nsleep 120\n", filepath.Join(dir, name))
				if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
					t.Fatal(err)
				}
				return p
			}
			path := filepath.Join(dir, "halvs.hcl")
			cfg := fmt.Sprintf(`global {
  control_socket = %q
}
vrrp_instance "VI_1" {
  interface         = "hs0"
  virtual_router_id = 51
  priority          = 150
  version           = 3
  advert_int        = "100ms"
  virtual_ipaddress = ["192.0.2.100/24"]
  notify_master     = %q
  notify_stop       = %q
}
`, filepath.Join(dir, "halvs.sock"), hang("master"), hang("stop"))
			if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}

			p := startHalvs(t, ns, nil, "-c", path, "--log-level", "debug")
			cmd, logs := p.cmd, p.logs
			hasVIP := func() bool {
				return strings.Contains(ns.Run("ip", "-o", "addr", "show", "dev", "hs0"), " 192.0.2.100/24 ")
			}
			pidOf := func(name string) int {
				b, err := os.ReadFile(filepath.Join(dir, name+".pid"))
				if err != nil {
					return 0
				}
				pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				return pid
			}
			waitFor(t, "notify_master to run", func() bool { return pidOf("master") != 0 })
			waitFor(t, "the VIP", hasVIP)

			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			last := time.Now()
			if tt.second {
				waitFor(t, "the STOP", func() bool { return strings.Contains(logs.String(), `msg="Entering STOP STATE"`) })
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				last = time.Now()
			}
			select {
			case <-p.exited:
				if p.err != nil {
					t.Fatalf("halvs run exited with %v, want status 0:\n%s", p.err, logs.String())
				}
				t.Logf("exited %v after the last SIGTERM", time.Since(last).Round(time.Millisecond))
			case <-time.After(tt.within):
				t.Fatalf("halvs run still running %v after the last SIGTERM:\n%s", tt.within, logs.String())
			}
			if hasVIP() {
				t.Error("VIP left behind")
			}
			for _, name := range []string{"master", "stop"} {
				pid := pidOf(name)
				if pid == 0 {
					// notify_stop waits behind the hanging notify_master: the kill ends
					// it before it starts.
					if name == "master" {
						t.Error("notify_master never ran")
					}
					continue
				}
				// Its group was killed: give the kernel a moment to deliver SIGKILL.
				waitFor(t, name+" script's group to be gone", func() bool { return syscall.Kill(-pid, 0) != nil })
			}
			if !strings.Contains(logs.String(), "msg=stopped") {
				t.Errorf("no clean stop logged:\n%s", logs.String())
			}
		})
	}
}

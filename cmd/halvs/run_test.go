package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/testutil"
)

// TestMain lets a test run this binary as `halvs` itself (inside a network namespace), so
// the real CLI, signals included, is what the test exercises.
func TestMain(m *testing.M) {
	if os.Getenv("HALVS_TEST_AS_HALVS") == "1" {
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	defaultConfig = "/nonexistent/halvs-test/halvs.hcl" // never this host's own
	os.Exit(m.Run())
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file: the default", nil, exitFailure, "cannot read config: stat " + defaultConfig},
		{"bad log format", []string{"-c", "x.hcl", "--log-format", "xml"}, exitUsage, "--log-format"},
		{"bad log level", []string{"-c", "x.hcl", "--log-level", "loud"}, exitUsage, "--log-level"},
		{"missing file", []string{"-c", filepath.Join(t.TempDir(), "none.hcl")}, exitFailure, "cannot read config"},
		{"invalid file", []string{"-c", "../../config/testdata/broken.hcl"}, exitFailure, "configuration refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := runRun(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
		})
	}
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer = testutil.Buffer

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, what, cond)
}

const runInstance = `vrrp_instance "%s" {
  interface         = "hd0"
  virtual_router_id = %s
  priority          = 150
  version           = 3
  advert_int        = "100ms"
  virtual_ipaddress = ["%s"]
}
`

func instanceHCL(name, vrid, vip string) string { return fmt.Sprintf(runInstance, name, vrid, vip) }

// TestRunInNamespace runs `halvs run` on a veth in a fresh network namespace: it becomes
// MASTER and owns the VIP; a reload that keeps the instance keeps the VIP without a flap and
// starts a new instance; a broken config on reload keeps the running one; SIGTERM releases
// the VIPs and exits 0.
func TestRunInNamespace(t *testing.T) {
	ns := vethNS(t, "hd", "run", "hd")
	ns.Run("ip", "addr", "add", "192.0.2.2/24", "dev", "hd1")

	dir := t.TempDir()
	path := filepath.Join(dir, "halvs.hcl")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	global := fmt.Sprintf("global {\n  control_socket = %q\n}\n", filepath.Join(dir, "halvs.sock"))
	write(global + instanceHCL("VI_1", "51", "192.0.2.100/24"))

	// Every address change in the namespace, to prove that the VIP never left during reloads.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var monitor syncBuffer
	mon := ns.Command(ctx, "ip", "-o", "monitor", "address")
	mon.Stdout = &monitor
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); mon.Wait() }()

	// systemd's notify socket: READY=1 after start, RELOADING=1 / READY=1 around reloads.
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(dir, "notify"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	var notes syncBuffer
	go func() {
		buf := make([]byte, 512)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				return
			}
			// One datagram is one state change; its first line says which (STATUS= and
			// MONOTONIC_USEC= follow).
			first, _, _ := strings.Cut(string(buf[:n]), "\n")
			notes.Write([]byte(first + " "))
		}
	}()

	start := time.Now()
	p := startHalvs(t, ns, []string{"NOTIFY_SOCKET=" + filepath.Join(dir, "notify")}, "-c", path, "--log-level", "debug")
	cmd, logs := p.cmd, p.logs
	hasAddr := func(a string) bool {
		return strings.Contains(ns.Run("ip", "-o", "addr", "show", "dev", "hd0"), " "+a+" ")
	}
	waitFor(t, "VI_1 MASTER", func() bool {
		return strings.Contains(logs.String(), `msg="Entering MASTER STATE" instance=VI_1`)
	})
	waitFor(t, "VIP on hd0", func() bool { return hasAddr("192.0.2.100/24") })
	waitFor(t, "sd_notify READY=1", func() bool { return strings.Contains(notes.String(), "READY=1") })
	t.Logf("MASTER with its VIP %v after start", time.Since(start).Round(time.Millisecond))

	// Reload: VI_1 unchanged, VI_2 new.
	write(global + instanceHCL("VI_1", "51", "192.0.2.100/24") + instanceHCL("VI_2", "52", "192.0.2.101/24"))
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reload", func() bool { return strings.Contains(logs.String(), "configuration reloaded") })
	waitFor(t, "VI_2's VIP", func() bool { return hasAddr("192.0.2.101/24") })
	waitFor(t, "sd_notify RELOADING=1 then READY=1", func() bool {
		return strings.Contains(notes.String(), "READY=1 RELOADING=1 READY=1")
	})

	// Reload with a broken file: refused, everything stays.
	write("vrrp_instance \"VI_1\" {\n  interface = \n}\n")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "refused reload", func() bool { return strings.Contains(logs.String(), "reload refused") })
	if !hasAddr("192.0.2.100/24") || !hasAddr("192.0.2.101/24") {
		t.Fatal("a refused reload removed a VIP")
	}
	if n := strings.Count(logs.String(), "Entering MASTER STATE"); n != 2 {
		t.Errorf("%d MASTER transitions, want 2 (VI_1 once, VI_2 once):\n%s", n, logs.String())
	}
	if strings.Contains(monitor.String(), "Deleted") {
		t.Errorf("an address was removed during the reloads:\n%s", monitor.String())
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Fatalf("halvs run exited with %v, want status 0:\n%s", p.err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("halvs run did not stop on SIGTERM")
	}
	if hasAddr("192.0.2.100/24") || hasAddr("192.0.2.101/24") {
		t.Error("VIPs left behind after SIGTERM")
	}
	// The monitor does see removals: the one SIGTERM made.
	waitFor(t, "the monitor to report the VIP's removal", func() bool {
		return strings.Contains(monitor.String(), "Deleted") && strings.Contains(monitor.String(), "192.0.2.100/24")
	})
	for _, want := range []string{`msg="Entering STOP STATE" instance=VI_1`, `msg="Entering STOP STATE" instance=VI_2`, "msg=stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

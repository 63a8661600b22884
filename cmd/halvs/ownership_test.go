package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/halvs/halvs/internal/netnstest"
)

// The address-ownership tests run `halvs run` in a fresh namespace on a veth hd0
// (192.0.2.1/24) and prove that halvs never removes an address it did not add.

// ownershipLab makes the namespace and a directory for the config, the control socket and
// the VIP record; the config is written by writeOwned.
func ownershipLab(t *testing.T, short string) (*netnstest.NS, string) {
	t.Helper()
	return vethNS(t, "ho", short, "hd"), t.TempDir()
}

// writeOwned writes dir/halvs.hcl: one instance on hd0 with the given state, priority,
// advert_int and VIP entries.
func writeOwned(t *testing.T, dir, state string, prio int, interval string, vips ...string) string {
	t.Helper()
	quoted := make([]string, len(vips))
	for i, v := range vips {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	src := fmt.Sprintf(`global {
  control_socket = %q
}
vrrp_instance "VI_1" {
  state             = %q
  interface         = "hd0"
  virtual_router_id = 51
  priority          = %d
  version           = 3
  advert_int        = %q
  virtual_ipaddress = [%s]
}
`, filepath.Join(dir, "halvs.sock"), state, prio, interval, strings.Join(quoted, ", "))
	path := filepath.Join(dir, "halvs.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func startOwned(t *testing.T, ns *netnstest.NS, path string) *halvsProc {
	t.Helper()
	return startHalvs(t, ns, nil, "-c", path)
}

func addrsOf(ns *netnstest.NS, dev string) string {
	return ns.Run("ip", "-o", "addr", "show", "dev", dev)
}

func hasAddrOn(ns *netnstest.NS, dev, prefix string) bool {
	return strings.Contains(addrsOf(ns, dev), " "+prefix+" ")
}

// TestLoopbackVIPRefused: a config listing the host's loopback address as a VIP is refused
// by `halvs check` and by `halvs run`, and the loopback address stays.
func TestLoopbackVIPRefused(t *testing.T) {
	ns, dir := ownershipLab(t, "lo")
	path := writeOwned(t, dir, "BACKUP", 100, "100ms", "127.0.0.1/8 dev lo")

	code, _, stderr := runHalvs("check", path)
	if code != exitFailure {
		t.Errorf("halvs check exit %d, want %d:\n%s", code, exitFailure, stderr)
	}
	if want := path + ":11:24: error: virtual_ipaddress entry \"127.0.0.1/8 dev lo\": 127.0.0.1 is a loopback address"; !strings.Contains(stderr, want) {
		t.Errorf("halvs check does not say %q:\n%s", want, stderr)
	}

	d := startOwned(t, ns, path)
	if code := d.wait(t); code != exitFailure {
		t.Errorf("halvs run exit %d, want %d", code, exitFailure)
	}
	if !hasAddrOn(ns, "lo", "127.0.0.1/8") {
		t.Errorf("the loopback address is gone:\n%s", addrsOf(ns, "lo"))
	}
}

// TestHostAddressVIPRefused: a VIP the interface already has, which halvs did not add, stops
// the start with a message naming it and its interface, and the address stays. With the
// takeover option halvs starts, holds it as MASTER and, as asked, releases it on stop.
func TestHostAddressVIPRefused(t *testing.T) {
	ns, dir := ownershipLab(t, "host")
	ns.Run("ip", "addr", "add", "192.0.2.100/24", "dev", "hd0")
	path := writeOwned(t, dir, "MASTER", 150, "100ms", "192.0.2.100/24")

	d := startOwned(t, ns, path)
	if code := d.wait(t); code != exitFailure {
		t.Errorf("halvs run exit %d, want %d", code, exitFailure)
	}
	for _, want := range []string{`192.0.2.100 is already an address of hd0 (192.0.2.100/24), not one halvs added`, "add the option takeover"} {
		if !strings.Contains(d.logs.String(), want) {
			t.Errorf("halvs run does not say %q:\n%s", want, d.logs.String())
		}
	}
	if !hasAddrOn(ns, "hd0", "192.0.2.100/24") {
		t.Fatalf("the host's address is gone:\n%s", addrsOf(ns, "hd0"))
	}

	path = writeOwned(t, dir, "MASTER", 150, "100ms", "192.0.2.100/24 takeover")
	d = startOwned(t, ns, path)
	waitFor(t, "MASTER", func() bool { return strings.Contains(d.logs.String(), `msg="Entering MASTER STATE"`) })
	if !hasAddrOn(ns, "hd0", "192.0.2.100/24") {
		t.Errorf("the VIP taken over is not on hd0:\n%s", addrsOf(ns, "hd0"))
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(t); code != exitOK {
		t.Errorf("halvs run exit %d after SIGTERM, want 0", code)
	}
	if hasAddrOn(ns, "hd0", "192.0.2.100/24") {
		t.Error("the VIP taken over was kept after the stop")
	}
}

// TestCrashLeftoversRemoved: halvs records the VIPs it adds; after a SIGKILL they stay on
// the interface and on record, and the next start (BACKUP) removes them, also one the new
// config no longer has, and nothing else.
func TestCrashLeftoversRemoved(t *testing.T) {
	ns, dir := ownershipLab(t, "crash")
	path := writeOwned(t, dir, "MASTER", 150, "100ms", "192.0.2.100/24", "192.0.2.101/24")
	d := startOwned(t, ns, path)
	waitFor(t, "both VIPs", func() bool {
		return hasAddrOn(ns, "hd0", "192.0.2.100/24") && hasAddrOn(ns, "hd0", "192.0.2.101/24")
	})
	if err := d.cmd.Process.Kill(); err != nil { // SIGKILL, by the PID the test started
		t.Fatal(err)
	}
	<-d.exited
	if !hasAddrOn(ns, "hd0", "192.0.2.100/24") || !hasAddrOn(ns, "hd0", "192.0.2.101/24") {
		t.Fatalf("SIGKILL removed a VIP; the test needs a crash that leaves them:\n%s", addrsOf(ns, "hd0"))
	}
	record := filepath.Join(dir, "halvs.vips.json")
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("no record of the VIPs added: %v", err)
	}
	for _, want := range []string{`"prefix":"192.0.2.100/24"`, `"prefix":"192.0.2.101/24"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the record lacks %s: %s", want, b)
		}
	}

	// BACKUP with a 10 s advert_int: it stays BACKUP for 30 s, longer than the test looks.
	path = writeOwned(t, dir, "BACKUP", 100, "10s", "192.0.2.100/24")
	d = startOwned(t, ns, path)
	waitFor(t, "BACKUP", func() bool { return strings.Contains(d.logs.String(), `msg="Entering BACKUP STATE"`) })
	waitFor(t, "the VIPs removed", func() bool {
		return !hasAddrOn(ns, "hd0", "192.0.2.100/24") && !hasAddrOn(ns, "hd0", "192.0.2.101/24")
	})
	if !hasAddrOn(ns, "hd0", "192.0.2.1/24") {
		t.Errorf("the interface's own address is gone:\n%s", addrsOf(ns, "hd0"))
	}
	if !hasAddrOn(ns, "lo", "127.0.0.1/8") {
		t.Errorf("the loopback address is gone:\n%s", addrsOf(ns, "lo"))
	}
	if b, _ := os.ReadFile(record); strings.TrimSpace(string(b)) != `{"vips":[]}` {
		t.Errorf("record after the clean-up = %s, want none on record", b)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := d.wait(t); code != exitOK {
		t.Errorf("halvs run exit %d after SIGTERM, want 0", code)
	}
}

// TestConvertReportsLoopbackVIP: a keepalived.conf with the loopback address as a VIP
// converts, but the check of the output refuses it, at its place in the output, naming the
// address and why; convert exits 1 with the HCL still written.
func TestConvertReportsLoopbackVIP(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.conf")
	src := "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    127.0.0.1/8 dev lo\n  }\n}\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runHalvs("convert", p)
	if code != exitFailure {
		t.Errorf("exit %d, want %d:\n%s", code, exitFailure, stderr)
	}
	if !strings.Contains(stdout, `"127.0.0.1/8 dev lo"`) {
		t.Errorf("the entry is not in the HCL written:\n%s", stdout)
	}
	for _, want := range []string{`<converted output>:`, `error: virtual_ipaddress entry "127.0.0.1/8 dev lo": 127.0.0.1 is a loopback address`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

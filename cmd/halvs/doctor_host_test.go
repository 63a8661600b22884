package main

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/doctor"
	"github.com/halvs/halvs/internal/netnstest"
)

// TestDoctorRealServerVIPsFromLo: on a real server, doctor without --vip checks the VIPs it
// finds on lo instead of refusing to run.
func TestDoctorRealServerVIPsFromLo(t *testing.T) {
	lab := netnstest.New(t, "ho")
	br := lab.NewBridge()
	ns := lab.NewNS("rs")
	br.Attach(ns, "ho0", nil, netip.MustParsePrefix("10.10.10.31/24"))
	for _, k := range []string{"all", "ho0"} {
		if err := ns.WriteSysctl("net/ipv4/conf/"+k+"/rp_filter", "0"); err != nil {
			t.Fatal(err)
		}
	}
	setRealserverPaths(t, t.TempDir())
	rs := func(args []string, o, e *bytes.Buffer) int { return runRealserver(args, o, e) }
	doc := func(args []string, o, e *bytes.Buffer) int { return runDoctor(args, o, e) }
	if code, _, errs := inNS(t, ns, rs, "up", "--vip", "10.10.10.22"); code != exitOK {
		t.Fatalf("realserver up: %s", errs)
	}
	code, out, errs := inNS(t, ns, doc)
	if code != exitOK || !strings.Contains(out, "ok   VIPs found on lo: 10.10.10.22\n") || !strings.Contains(out, "ok   VIP 10.10.10.22 on lo\n") {
		t.Errorf("doctor without --vip: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestDoctorDefaultConfigDirector: a host with /etc/halvs/halvs.hcl is a director, checked
// against that file; an instance on an interface the host lacks is a finding, not "no
// problems found" (halvs run would exit on it).
func TestDoctorDefaultConfigDirector(t *testing.T) {
	lab := netnstest.New(t, "ho")
	ns := lab.NewNS("dir")
	dir := t.TempDir()
	withDefaultConfig(t, `global {
  control_socket = "`+filepath.Join(dir, "none.sock")+`"
}
vrrp_instance "VI_1" {
  interface         = "ho-nosuch"
  virtual_router_id = 51
  priority          = 100
  virtual_ipaddress = ["10.10.10.22/24"]
}
`)
	doc := func(args []string, o, e *bytes.Buffer) int { return runDoctor(args, o, e) }
	code, out, errs := inNS(t, ns, doc, "--listen-seconds", "0")
	want := "FAIL interface: VI_1 names interface ho-nosuch, which this host does not have: halvs run refuses to start\n"
	if code != exitFailure || !strings.Contains(out, "checking this host as a director") || !strings.Contains(out, want) {
		t.Errorf("doctor: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// TestDoctorFromConfigNATAndTrack: lb_kind NAT (on the virtual server or a real server) asks
// for forwarding in the real servers' family; track_interface names are checked too.
func TestDoctorFromConfigNATAndTrack(t *testing.T) {
	cfg := loadDoctorConfig(t, `vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 100
  virtual_ipaddress = ["10.10.10.22/24"]
  track_interface   = ["eth1", "eth2 weight 10"]
}
virtual_server "10.10.10.22:80" {
  protocol = "TCP"
  lb_kind  = "DR"
  real_server "10.0.1.1:80" {}
  real_server "10.0.1.2:80" {
    lb_kind = "NAT"
  }
}
virtual_server "[2001:db8::22]:80" {
  protocol = "TCP"
  lb_kind  = "DR"
  real_server "[2001:db8::1]:80" {}
}
`)
	var o doctor.Options
	fromConfig(cfg, &o)
	got := []any{o.NAT, o.NAT6, o.Instances[0].Track}
	if diff := cmp.Diff([]any{true, false, []string{"eth1", "eth2"}}, got); diff != "" {
		t.Errorf("NAT, NAT6, track (-want +got):\n%s", diff)
	}
}

// TestRealserverTUNCommand: `realserver up --tun` sets up tunl0 where the kernel has ipip and
// says what is missing where it has not; --tun is up's, and IPv4 only.
func TestRealserverTUNCommand(t *testing.T) {
	rs := func(args []string, o, e *bytes.Buffer) int { return runRealserver(args, o, e) }
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"down", "--tun"}, "--tun belongs to up"},
		{[]string{"up", "--tun", "--vip", "2001:db8::22"}, "--tun is IPv4 only"},
	} {
		var out, errb bytes.Buffer
		if code := rs(tt.args, &out, &errb); code == exitOK || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("realserver %q: exit %d, stderr %q, want %q", tt.args, code, errb.String(), tt.want)
		}
	}
	lab := netnstest.New(t, "ho")
	ns := lab.NewNS("rs")
	setRealserverPaths(t, t.TempDir())
	code, out, errs := inNS(t, ns, rs, "up", "--tun", "--vip", "10.10.10.22")
	switch {
	case code == exitOK:
		if !strings.Contains(out, "added 10.10.10.22/32 to tunl0") {
			t.Errorf("up --tun: %s", out)
		}
		if code, out, errs := inNS(t, ns, rs, "down"); code != exitOK || !strings.Contains(out, "removed 10.10.10.22/32 from tunl0") {
			t.Errorf("down: exit %d\n%s%s", code, out, errs)
		}
	case code != exitFailure || !strings.Contains(errs, "modprobe ipip"):
		t.Errorf("up --tun without ipip: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

package main

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/doctor"
	"github.com/halvs/halvs/internal/netnstest"
)

func TestDoctorUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"bad role", []string{"--role", "router", "--vip", "10.0.0.1"}, exitUsage, "director or realserver"},
		{"director reads the default config", []string{"--role", "director"}, exitFailure, "cannot read " + defaultConfig},
		{"bad port", []string{"--vip", "10.0.0.1", "--port", "http"}, exitUsage, "not a port"},
		{"negative listen", []string{"--vip", "10.0.0.1", "--listen-seconds", "-1"}, exitUsage, "must not be negative"},
		{"unreadable config", []string{"-c", "/nonexistent/halvs.hcl"}, exitFailure, "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := runDoctor(tt.args, &out, &errb); code != tt.code || !strings.Contains(errb.String(), tt.inStderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, tt.code, errb.String())
			}
		})
	}
}

// TestRealserverThenDoctor is the operator's sequence on a fresh real server: doctor finds the
// missing setup, `realserver up` fixes it, doctor is then clean.
func TestRealserverThenDoctor(t *testing.T) {
	lab := netnstest.New(t, "ho")
	br := lab.NewBridge()
	ns := lab.NewNS("rs")
	br.Attach(ns, "ho0", nil, netip.MustParsePrefix("10.10.10.31/24"))
	for _, k := range []string{"all", "ho0"} {
		if err := ns.WriteSysctl("net/ipv4/conf/"+k+"/rp_filter", "0"); err != nil {
			t.Fatal(err)
		}
	}
	var l net.Listener
	ns.MustDo(func() (err error) { l, err = net.Listen("tcp", ":8080"); return })
	defer l.Close()
	setRealserverPaths(t, t.TempDir())
	doc := func(args []string, o, e *bytes.Buffer) int { return runDoctor(args, o, e) }
	rs := func(args []string, o, e *bytes.Buffer) int { return runRealserver(args, o, e) }

	code, out, _ := inNS(t, ns, doc, "--vip", "10.10.10.22", "--port", "8080")
	if code != exitFailure || !strings.Contains(out, "FAIL vip: VIP 10.10.10.22 is not on lo") ||
		!strings.Contains(out, "fix: halvs realserver up --vip 10.10.10.22") || !strings.Contains(out, "FAIL arp_ignore") {
		t.Errorf("doctor before setup: exit %d\n%s", code, out)
	}
	if code, _, errs := inNS(t, ns, rs, "up", "--vip", "10.10.10.22"); code != exitOK {
		t.Fatalf("realserver up: %s", errs)
	}
	code, out, _ = inNS(t, ns, doc, "--vip", "10.10.10.22", "--port", "8080")
	if code != exitOK || !strings.Contains(out, "no problems found") {
		t.Errorf("doctor after realserver up: exit %d\n%s", code, out)
	}
}

// TestDoctorFromConfigVIPDev: a VIP with its own dev is checked on that interface, not on the
// instance's.
func TestDoctorFromConfigVIPDev(t *testing.T) {
	cfg := loadDoctorConfig(t, `vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 100
  virtual_ipaddress = ["10.10.10.22/24", "192.0.2.22/24 dev eth1", "10.10.10.23/24 dev eth0"]
}
`)
	var o doctor.Options
	fromConfig(cfg, &o)
	if o.TUN {
		t.Error("TUN set without a virtual server in TUN mode")
	}
	a := netip.MustParseAddr
	want := []doctor.Instance{{Name: "VI_1", Interface: "eth0", VRID: 51,
		VIPs: []netip.Addr{a("10.10.10.22"), a("192.0.2.22"), a("10.10.10.23")},
		Devs: map[netip.Addr]string{a("192.0.2.22"): "eth1"}}}
	if diff := cmp.Diff(want, o.Instances, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("instances (-want +got):\n%s", diff)
	}
}

// TestDoctorFromConfigTUN: lb_kind TUN on a virtual server, or on one real server, marks the
// host as reached through tunnels (strict rp_filter is then a failure).
func TestDoctorFromConfigTUN(t *testing.T) {
	for _, tt := range []struct {
		name, vs string
		want     bool
	}{
		{"DR", `lb_kind = "DR"` + "\n" + `real_server "10.0.1.1:80" {}`, false},
		{"TUN", `lb_kind = "TUN"` + "\n" + `real_server "10.0.1.1:80" {}`, true},
		{"one real server TUN", `lb_kind = "DR"` + "\n" + `real_server "10.0.1.1:80" {}` + "\n" + `real_server "10.0.1.2:80" {` + "\n" + `lb_kind = "TUN"` + "\n}", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "halvs.hcl")
			src := "global {\n  control_socket = \"" + filepath.Join(dir, "none.sock") + "\"\n}\n" +
				"virtual_server \"10.0.0.1:80\" {\n  protocol = \"TCP\"\n" + tt.vs + "\n}\n"
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, diags := config.Load(path)
			if diags.HasErrors() {
				var b strings.Builder
				diags.Write(&b)
				t.Fatalf("config: %s", b.String())
			}
			var o doctor.Options
			fromConfig(cfg, &o)
			if o.TUN != tt.want {
				t.Errorf("TUN = %v, want %v", o.TUN, tt.want)
			}
		})
	}
}

// loadDoctorConfig loads a config of body and a global block whose control_socket nobody
// answers on, failing t on any error.
func loadDoctorConfig(t *testing.T, body string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "halvs.hcl")
	src := fmt.Sprintf("global {\n  control_socket = %q\n}\n", filepath.Join(dir, "none.sock")) + body
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(path)
	if diags.HasErrors() {
		t.Fatalf("config: %v", diags)
	}
	return cfg
}

package config_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

func TestVMACAndNotifyEvents(t *testing.T) {
	v6 := "vrrp_instance \"VI_6\" {\n  interface = \"eth0\"\n  virtual_router_id = 51\n  version = 3\n  use_vmac = true\n  virtual_ipaddress = [\"fe80::51\"]\n}\n"
	tests := []struct {
		name      string
		src       string
		wantVMACs map[string]config.VMAC
		wantNotes config.NotifyEvents
	}{
		{name: "none", src: vi(""), wantVMACs: map[string]config.VMAC{"VI_1": {}}},
		{name: "default name", src: vi("  use_vmac = true\n"), wantVMACs: map[string]config.VMAC{"VI_1": {Use: true, Name: "vrrp.51"}}},
		{name: "named, xmit base", src: vi("  use_vmac = \"vmac51\"\n  vmac_xmit_base = true\n"),
			wantVMACs: map[string]config.VMAC{"VI_1": {Use: true, Name: "vmac51", XmitBase: true}}},
		{name: "unicast sets xmit base", src: vi("  use_vmac = true\n  unicast_peer = [\"192.0.2.2\"]\n"),
			wantVMACs: map[string]config.VMAC{"VI_1": {Use: true, Name: "vrrp.51", XmitBase: true}}},
		{name: "IPv6 beside IPv4 of the same VRID", src: vi("  use_vmac = true\n") + v6,
			wantVMACs: map[string]config.VMAC{"VI_1": {Use: true, Name: "vrrp.51"}, "VI_6": {Use: true, Name: "vrrp6.51"}}},
		{name: "notifies", src: vi("  notify_master_rx_lower_pri = \"/bin/fix-aws arg\"\n  notify_priority_changes = true\n  notify_deleted = true\n"),
			wantVMACs: map[string]config.VMAC{"VI_1": {}},
			wantNotes: config.NotifyEvents{MasterRxLowerPri: config.Script{Argv: []string{"/bin/fix-aws", "arg"}}, PriorityChanges: true, Deleted: true}},
		{name: "notify_deleted script", src: vi("  notify_deleted = \"/bin/gone x\"\n"), wantVMACs: map[string]config.VMAC{"VI_1": {}},
			wantNotes: config.NotifyEvents{Deleted: true, DeletedScript: config.Script{Argv: []string{"/bin/gone", "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, tt.src)
			got := map[string]config.VMAC{}
			for _, vi := range cfg.VRRPInstances {
				got[vi.Name] = vi.VMAC
			}
			if diff := cmp.Diff(tt.wantVMACs, got); diff != "" {
				t.Errorf("VMACs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, cfg.VRRPInstances[0].NotifyEvents, configtest.IgnorePositions()); diff != "" {
				t.Errorf("NotifyEvents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVMACValidation(t *testing.T) {
	second := func(lines string) string {
		return "vrrp_instance \"VI_2\" {\n  interface = \"eth0\"\n  virtual_router_id = 52\n" + lines + "  virtual_ipaddress = [\"192.0.2.2\"]\n}\n"
	}
	runDiagCases(t, []diagCase{
		{name: "name too long", src: vi("  use_vmac = \"abcdefghijklmnop\"\n"),
			want: []string{`4:14: error: use_vmac: "abcdefghijklmnop" is 16 characters; interface names have at most 15`}},
		{name: "name is the interface", src: vi("  use_vmac = \"eth0\"\n"),
			want: []string{`4:14: error: use_vmac "eth0" is the instance's own interface`}},
		{name: "wrong type", src: vi("  use_vmac = 5\n"), want: []string{`4:14: error: use_vmac must be true or the macvlan's name in quotes`}},
		{name: "one name twice", src: vi("  use_vmac = \"vm\"\n") + second("  use_vmac = \"vm\"\n"),
			want: []string{`10:14: error: use_vmac "vm" is already vrrp_instance "VI_1"'s; each instance needs its own macvlan`}},
		{name: "default name taken", src: vi("  use_vmac = true\n") + second("  use_vmac = \"vrrp.51\"\n"),
			want: []string{`4:14: error: use_vmac: the default name vrrp.51 is vrrp_instance "VI_2"'s already`}},
		{name: "instance on another's vmac", src: vi("  use_vmac = true\n") + "vrrp_instance \"VI_2\" {\n  interface = \"vrrp.51\"\n  virtual_router_id = 52\n  virtual_ipaddress = [\"192.0.2.2\"]\n}\n",
			want: []string{`8:15: error: interface "vrrp.51" is vrrp_instance "VI_1"'s use_vmac macvlan`}},
		{name: "xmit base alone", src: vi("  vmac_xmit_base = true\n"), want: []string{`4:20: warning: vmac_xmit_base has no effect without use_vmac`}},
		{name: "unicast without xmit base", src: vi("  use_vmac = true\n  unicast_peer = [\"192.0.2.2\"]\n"),
			want: []string{`4:14: warning: a unicast instance with use_vmac sends its adverts from eth0 (vmac_xmit_base)`}},
		{name: "notify_deleted empty", src: vi("  notify_deleted = \"\"\n"), want: []string{`4:20: error: notify_deleted: the script names no program`}},
		{name: "notify_deleted number", src: vi("  notify_deleted = 1\n"), want: []string{`4:20: error: notify_deleted must be true or a script in quotes`}},
		{name: "notify_priority_changes string", src: vi("  notify_priority_changes = \"yes\"\n"),
			want: []string{`4:29: error: notify_priority_changes must be true or false`}},
	})
}

// TestNotifyEventScriptSecurity: enable_script_security checks the notify event scripts as
// it checks the state scripts.
func TestNotifyEventScriptSecurity(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the check is about files owned by root")
	}
	dir := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conf := func(p string) string {
		return "global {\n  enable_script_security = true\n}\n" + vi("  notify_master_rx_lower_pri = \""+p+"\"\n  notify_deleted = \""+p+"\"\n")
	}
	if _, diags := config.Parse([]byte(conf(mk("safe.sh", 0o755))), "t.hcl"); len(diags) > 0 {
		t.Skipf("%s is not a root-only path here (TMPDIR?): %s", dir, diags)
	}
	open := mk("open.sh", 0o757)
	_, diags := config.Parse([]byte(conf(open)), "t.hcl")
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	want := []string{
		`t.hcl:7:32: error: enable_script_security: notify_master_rx_lower_pri "` + open + `" runs as root but ` + open + ` is writable by everyone; keepalived would disable it. Make it root-owned and not writable by group or others, or run it as another user`,
		`t.hcl:8:20: error: enable_script_security: notify_deleted "` + open + `" runs as root but ` + open + ` is writable by everyone; keepalived would disable it. Make it root-owned and not writable by group or others, or run it as another user`,
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

func TestGarpGroups(t *testing.T) {
	src := `global {
  vrrp_garp_interval = 0.002
  garp_group {
    garp_interval = 0.01
    gna_interval  = "5ms"
    interface     = "eth0"
  }
  garp_group {
    gna_interval = 0.000001
    interfaces   = ["eth1", "eth2"]
  }
}
`
	cfg, diags := config.Parse([]byte(src), "t.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []config.GarpGroup{
		{GarpInterval: 10 * time.Millisecond, GnaInterval: 5 * time.Millisecond, Interfaces: []string{"eth0"}},
		{GnaInterval: time.Microsecond, Interfaces: []string{"eth1", "eth2"}},
	}
	if diff := cmp.Diff(want, cfg.Global.Timing.GarpGroups, configtest.IgnorePositions()); diff != "" {
		t.Errorf("garp groups (-want +got):\n%s", diff)
	}
	if got := cfg.Global.Timing.GarpInterval; got != 2*time.Millisecond {
		t.Errorf("vrrp_garp_interval = %v, want 2ms (the interfaces in no group)", got)
	}
}

func TestGarpGroupErrors(t *testing.T) {
	g := func(body string) string { return "global {\n  garp_group {\n" + body + "  }\n}\n" }
	runDiagCases(t, []diagCase{
		{name: "no delay", src: g("    interface = \"eth0\"\n"),
			want: []string{`2:3: error: garp_group sets no delay: give garp_interval or gna_interval`}},
		{name: "no interface", src: g("    garp_interval = 0.01\n"),
			want: []string{`2:3: error: garp_group names no interface`}},
		{name: "interface in two groups", src: "global {\n  garp_group {\n    garp_interval = 0.01\n    interfaces = [\"eth0\", \"eth1\"]\n  }\n" +
			"  garp_group {\n    gna_interval = 0.01\n    interface = \"eth1\"\n  }\n}\n",
			want: []string{`8:17: error: interface "eth1" is in a garp_group already (at line 4)`}},
		{name: "twice in one group", src: g("    garp_interval = 0.01\n    interface = \"eth0\"\n    interfaces = [\"eth1\", \"eth0\"]\n"),
			want: []string{`5:27: error: interface "eth0" is in a garp_group already (at line 4)`}},
		{name: "bad interface name", src: g("    garp_interval = 0.01\n    interface = \"an-interface-name\"\n"),
			want: []string{`4:17: error: garp_group interface:`}},
		{name: "empty interfaces", src: g("    garp_interval = 0.01\n    interfaces = []\n"),
			want: []string{`4:18: error: garp_group interfaces is empty`}},
		{name: "unknown keyword", src: g("    garp_intervall = 0.01\n    interface = \"eth0\"\n"),
			want: []string{`3:5: error: unknown keyword "garp_intervall" in garp_group`, `2:3: error: garp_group sets no delay`}},
		{name: "large interval", src: g("    garp_interval = 2\n    interface = \"eth0\"\n"),
			want: []string{`3:21: warning: garp_interval 2s is very large`}},
		{name: "a VMAC", src: g("    garp_interval = 0.01\n    interface = \"vrrp.51\"\n") + vi("  use_vmac = true\n"),
			want: []string{`4:17: error: garp_group interface "vrrp.51" is vrrp_instance "VI_1"'s use_vmac macvlan`}},
		{name: "a name is refused", src: "global {\n  garp_group \"x\" {\n    garp_interval = 0.01\n    interface = \"eth0\"\n  }\n}\n",
			want: []string{`2:14: error: garp_group blocks take no name`}},
	})
}

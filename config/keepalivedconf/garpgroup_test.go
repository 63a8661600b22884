package keepalivedconf

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

// TestConvertGarpGroup: keepalived's top-level garp_group blocks become blocks of global
// (opened by the first of them when global_defs comes later), with no loss reported, and
// halvs reads the result with keepalived's values.
func TestConvertGarpGroup(t *testing.T) {
	src := `garp_group {
  garp_interval 0.01
  gna_interval 0.005
  interface eth0
}
global_defs {
  router_id R
  vrrp_garp_interval 0.002
}
garp_group {
  gna_interval 0.000001
  interfaces {
    eth1
    eth2
  }
}
`
	got, diags := convertString(t, src)
	want := `global {
  garp_group {
    garp_interval = 0.01
    gna_interval  = 0.005
    interface     = "eth0"
  }
  router_id          = "R"
  vrrp_garp_interval = 0.002
  garp_group {
    gna_interval = 0.000001
    interfaces   = ["eth1", "eth2"]
  }
}
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HCL (-want +got):\n%s", diff)
	}
	if len(diags) > 0 {
		t.Errorf("diagnostics: %q, want none", diags)
	}
	cfg, cdiags := config.Parse([]byte(got), "out.hcl")
	if cdiags.HasErrors() {
		t.Fatal(cdiags)
	}
	wantGroups := []config.GarpGroup{
		{GarpInterval: 10 * time.Millisecond, GnaInterval: 5 * time.Millisecond, Interfaces: []string{"eth0"}},
		{GnaInterval: time.Microsecond, Interfaces: []string{"eth1", "eth2"}},
	}
	if diff := cmp.Diff(wantGroups, cfg.Global.Timing.GarpGroups, configtest.IgnorePositions()); diff != "" {
		t.Errorf("garp groups read back (-want +got):\n%s", diff)
	}
}

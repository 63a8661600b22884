package director

import (
	"testing"

	"github.com/halvs/halvs/config"
)

// TestTranslateNoTrack: no_track on a virtual route or rule reaches vrrp, which then does
// not re-add it when it is deleted (vrrp's TestRoutesNoTrackNotRepaired).
func TestTranslateNoTrack(t *testing.T) {
	cfg, diags := config.Parse([]byte(`vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.1"]
  virtual_routes = ["10.20.0.0/16 via 192.0.2.254 no_track", "10.21.0.0/16 via 192.0.2.254"]
  virtual_rules = ["from 192.0.2.1 table 100 preference 100 no_track", "to 10.9.0.0/16 table 100 preference 101"]
}`), "t.hcl")
	if diags.HasErrors() || len(diags) > 0 {
		t.Fatal(diags)
	}
	p, err := TranslateVRRP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ic := p.Instances[0]
	if got := []bool{ic.VirtualRoutes[0].NoTrack, ic.VirtualRoutes[1].NoTrack, ic.VirtualRules[0].NoTrack, ic.VirtualRules[1].NoTrack}; got[0] != true || got[1] || got[2] != true || got[3] {
		t.Errorf("NoTrack of the routes and rules = %v, want [true false true false]", got)
	}
}

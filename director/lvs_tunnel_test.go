package director

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/lvs"
)

// TestLVSTableTunnels: each server's encapsulation reaches the table, the sorry server's own
// included, and inherited from the virtual server when a server names no method.
func TestLVSTableTunnels(t *testing.T) {
	table, err := LVSTable(mustLoad(t, `virtual_server "10.0.0.1:80" {
  protocol                = "TCP"
  lvs_method              = "TUN type gue port 6080"
  sorry_server            = "10.0.0.99:80"
  sorry_server_lvs_method = "TUN type gre csum"
  real_server "10.0.0.9:80" {}
  real_server "10.0.0.10:80" {
    lvs_method = "DR"
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Dests []lvs.Tunnel
		Sorry lvs.Tunnel
	}
	g := got{Sorry: table[0].Sorry.Tunnel}
	for _, d := range table[0].Destinations {
		g.Dests = append(g.Dests, d.Tunnel)
	}
	want := got{
		Dests: []lvs.Tunnel{{Type: lvs.TunnelGUE, Port: 6080}, {}},
		Sorry: lvs.Tunnel{Type: lvs.TunnelGRE, Csum: lvs.TunnelCsumOn},
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

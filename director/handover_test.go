package director

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHandoverPlan: lvs_handover_accept routes each virtual server on a VRRP instance's VIP
// (by protocol, port and the VIP's interface) to a table where the VIP is local; on by
// default with the sync daemon only, and leaves out servers on other addresses, firewall
// marks and groups.
func TestHandoverPlan(t *testing.T) {
	services := `
virtual_server "10.0.0.1:80" {
  lb_kind  = "DR"
  protocol = "TCP"
  real_server "10.0.0.11:80" {}
}
virtual_server "10.0.0.1:53" {
  lb_kind  = "DR"
  protocol = "UDP"
  real_server "10.0.0.11:53" {}
}
virtual_server "[2001:db8::1]:443" {
  lb_kind  = "DR"
  protocol = "TCP"
  real_server "[2001:db8::11]:443" {}
}
virtual_server "10.0.0.9:80" {
  lb_kind = "DR"
  real_server "10.0.0.11:80" {}
}
virtual_server "fwmark:7" {
  lb_kind = "DR"
  real_server "10.0.0.11:80" {}
}
`
	vips := owner("VI_1", 51, "10.0.0.1/24", `  virtual_ipaddress_excluded = ["2001:db8::1/64 dev eth1"]
`)
	sync := `global {
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }
%s}
`
	wantRoutes := []string{"local 10.0.0.1/32 dev lo table 18518 scope host", "local 2001:db8::1/128 dev lo table 18518 scope host"}
	wantRules := []string{
		"32000: from all to 10.0.0.1/32 iif eth0 ipproto 6 dport 80-80 lookup 18518",
		"32000: from all to 10.0.0.1/32 iif eth0 ipproto 17 dport 53-53 lookup 18518",
		"32000: from all to 2001:db8::1/128 iif eth1 ipproto 6 dport 443-443 lookup 18518",
	}
	for _, c := range []struct {
		name, global string
		on           bool
	}{
		{"sync daemon", fmt.Sprintf(sync, ""), true},
		{"sync daemon, turned off", fmt.Sprintf(sync, "  lvs_handover_accept = false\n"), false},
		{"no sync daemon", "", false},
		{"no sync daemon, turned on", "global {\n  lvs_handover_accept = true\n}\n", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			routes, rules := handoverPlan(parse(t, c.global+vips+services))
			var wr, wl []string
			if c.on {
				wr, wl = wantRoutes, wantRules
			}
			if diff := cmp.Diff(wr, stringsOf(routes)); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wl, stringsOf(rules)); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

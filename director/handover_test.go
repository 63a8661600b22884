package director

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/vrrp"
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

// TestHandoverDrainAtStop: a MASTER that stops with lvs_handover_accept releases its VIP
// first and keeps its handover rules and IPVS services for two advert intervals, so that
// what clients still send it before the backup's GARP is served; then removes them.
func TestHandoverDrainAtStop(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	mem := &vrrp.MemoryRoutes{}
	opts.Routes = mem
	// No preemption delay: the stop does not wait for the sync backup first (syncgate.go).
	conf := strings.Replace(lvsConfig, "global {", "global {\n  lvs_sync_preempt_delay = 0", 1)
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+conf), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	masterOf(t, d, "VI_1")
	wantRule := "32000: from all to 10.0.0.1/32 iif eth0 ipproto 6 dport 80-80 lookup 18518"
	eventually(t, "the handover rule", func() bool { return slices.Contains(mem.Rules(), wantRule) })
	eventually(t, "the table", func() bool { return len(table(t, k.ipvs)) > 0 })

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	eventually(t, "the VIP released", func() bool { return !k.hasVIP("10.0.0.1/32") })
	if !slices.Contains(mem.Rules(), wantRule) || len(table(t, k.ipvs)) == 0 {
		t.Errorf("when the VIP was released: rules %q, table %v; want both kept for the drain", mem.Rules(), table(t, k.ipvs))
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if got := mem.Rules(); len(got) != 0 {
		t.Errorf("rules after stop: %q", got)
	}
	if got := table(t, k.ipvs); len(got) != 0 {
		t.Errorf("IPVS table after stop: %v", got)
	}
}

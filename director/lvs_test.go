package director

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/lvs"
)

// program is the table as the ipvsadm commands that build it from empty.
func program(table []lvs.VirtualServer) []string {
	var out []string
	for _, o := range lvs.Diff(nil, table, nil) {
		out = append(out, o.String())
	}
	return out
}

func mustLoad(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if diags.HasErrors() {
		var b strings.Builder
		diags.Write(&b)
		t.Fatalf("config: %s", b.String())
	}
	return cfg
}

// TestLVSTableSeed checks that the reference example programs what keepalived programs from
// examples/seed/keepalived.conf.
func TestLVSTableSeed(t *testing.T) {
	cfg, diags := config.Load("../examples/seed/director-a.hcl")
	if diags.HasErrors() {
		t.Fatalf("seed config: %v", diags)
	}
	table, err := LVSTable(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"-A -t 10.10.10.22:80 -s wrr",
		"-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3",
		"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 3",
	}
	if diff := cmp.Diff(want, program(table)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLVSTable(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{{
		name: "NAT with persistence, granularity and thresholds",
		src: `virtual_server "10.0.0.1:443" {
  protocol = "TCP"
  lb_algo = "wlc"
  lb_kind = "NAT"
  persistence_timeout = 600
  persistence_granularity = "255.255.255.0"
  real_server "192.168.1.10:8443" {
    weight = 2
    uthreshold = 100
    lthreshold = 10
  }
}`,
		want: []string{
			"-A -t 10.0.0.1:443 -s wlc -p 600 -M 255.255.255.0",
			"-a -t 10.0.0.1:443 -r 192.168.1.10:8443 -m -w 2 -x 100 -y 10",
		},
	}, {
		name: "keepalived defaults: UDP, wlc, NAT, weight 1",
		src: `virtual_server "10.0.0.1:53" {
  real_server "10.0.0.9:53" {}
}`,
		want: []string{"-A -u 10.0.0.1:53 -s wlc", "-a -u 10.0.0.1:53 -r 10.0.0.9:53 -m -w 1"},
	}, {
		name: "fwmark, TUN",
		src: `virtual_server "fwmark:5" {
  lb_algo = "rr"
  lb_kind = "TUN"
  real_server "10.0.0.9:0" { weight = 4 }
}`,
		want: []string{"-A -f 5 -s rr", "-a -f 5 -r 10.0.0.9:0 -i -w 4"},
	}, {
		name: "IPv6 DR with a sorry server kept aside",
		src: `virtual_server "[2001:db8::1]:80" {
  protocol = "TCP"
  lb_algo = "rr"
  lb_kind = "DR"
  sorry_server = "[2001:db8::99]:80"
  real_server "[2001:db8::10]:80" {}
}`,
		want: []string{"-A -t [2001:db8::1]:80 -s rr", "-a -t [2001:db8::1]:80 -r [2001:db8::10]:80 -g -w 1"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := LVSTable(mustLoad(t, tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, program(table)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

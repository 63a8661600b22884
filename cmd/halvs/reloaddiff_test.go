package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

func TestConfigChanges(t *testing.T) {
	seed, err := os.ReadFile("../../examples/seed/director-a.hcl")
	if err != nil {
		t.Fatal(err)
	}
	base := string(seed)
	const vi2 = "\nvrrp_instance \"VI_2\" {\n  interface = \"eth0\"\n  virtual_router_id = 52\n  priority = 100\n  virtual_ipaddress = [\"10.10.10.23/32\"]\n}\n"
	tests := []struct {
		name string
		edit func(string) string
		want []string
	}{
		{"same file", func(s string) string { return s }, nil},
		{"layout only", func(s string) string {
			return "# a comment moves every line\n\n" + strings.ReplaceAll(s, "  weight = 3", "  weight    = 3")
		}, nil},
		{"instance added", func(s string) string { return s + vi2 }, []string{"vrrp_instance VI_2: added"}},
		{"VIP added, priority changed", func(s string) string {
			s = strings.Replace(s, `["10.10.10.22/32"]`, `["10.10.10.22/32", "10.10.10.24/32"]`, 1)
			return strings.Replace(s, "priority          = 150", "priority          = 140", 1)
		}, []string{"vrrp_instance VI_1: virtual_ipaddress 10.10.10.24/32: added", "vrrp_instance VI_1: settings changed"}},
		{"real server weight", func(s string) string { return strings.Replace(s, "weight = 3", "weight = 5", 1) },
			[]string{"virtual_server 10.10.10.22:80/TCP: real server 10.10.10.31:80: changed"}},
		{"real server removed, scheduler changed", func(s string) string {
			s = strings.Replace(s, `"10.10.10.32:80"`, `"10.10.10.33:80"`, 1)
			return strings.Replace(s, `"wrr"`, `"rr"`, 1)
		}, []string{
			"virtual_server 10.10.10.22:80/TCP: real server 10.10.10.33:80: added",
			"virtual_server 10.10.10.22:80/TCP: real server 10.10.10.32:80: removed",
			"virtual_server 10.10.10.22:80/TCP: settings changed",
		}},
		{"router_id", func(s string) string { return strings.Replace(s, "LVS_DEVEL", "LVS_A", 1) }, []string{"global: changed"}},
	}
	parse := func(t *testing.T, src string) *config.Config {
		t.Helper()
		cfg, diags := config.Parse([]byte(src), "halvs.hcl")
		if cfg == nil {
			t.Fatalf("config refused:\n%s", diags)
		}
		return cfg
	}
	old := parse(t, base)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := configChanges(old, parse(t, tt.edit(base)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]string{"vrrp_instance VI_2: removed"}, configChanges(parse(t, base+vi2), old)); diff != "" {
		t.Errorf("instance removed (-want +got):\n%s", diff)
	}
	two := strings.Replace(base, `["10.10.10.22/32"]`, `["10.10.10.22/32", "10.10.10.24/32"]`, 1)
	swapped := strings.Replace(base, `["10.10.10.22/32"]`, `["10.10.10.24/32", "10.10.10.22/32"]`, 1)
	if got := configChanges(parse(t, two), parse(t, swapped)); len(got) != 0 {
		t.Errorf("reordering the VIPs is listed as %q, want no change", got)
	}
}

package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

// TestGroupFamily: a group's addresses give its family; a group of fwmarks only takes
// ip_family, else its real servers' family, else IPv4, as a fwmark service does.
func TestGroupFamily(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want config.Family
	}{
		{"IPv6 addresses", "virtual_server_group \"G\" {\n  vip = [\"[2001:db8::1]:80\"]\n}\nvirtual_server \"group:G\" {\n  protocol = \"TCP\"\n}\n", config.IPv6},
		{"fwmarks, IPv6 real server", "virtual_server_group \"G\" {\n  fwmark = [7]\n}\nvirtual_server \"group:G\" {\n  real_server \"[2001:db8::2]:80\" {}\n}\n", config.IPv6},
		{"fwmarks, ip_family inet6", "virtual_server_group \"G\" {\n  fwmark = [7]\n}\nvirtual_server \"group:G\" {\n  ip_family = \"inet6\"\n}\n", config.IPv6},
		{"fwmarks alone", "virtual_server_group \"G\" {\n  fwmark = [7]\n}\nvirtual_server \"group:G\" {\n}\n", config.IPv4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, tc.src)
			if diff := cmp.Diff(tc.want, cfg.VirtualServers[0].Family); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	runDiagCases(t, []diagCase{
		{name: "ip_family on an address service", src: vs("  ip_family = \"inet6\"\n"),
			want: []string{`3:15: error: ip_family applies to fwmark virtual servers and groups only`}},
		{name: "IPv6 real server in an IPv4 address group", src: "virtual_server_group \"G\" {\n  vip = [\"10.0.0.1:80\"]\n}\nvirtual_server \"group:G\" {\n  protocol = \"TCP\"\n  real_server \"[2001:db8::2]:80\" {}\n}\n",
			want: []string{`6:3: error: real_server [2001:db8::2]:80 is IPv6 but virtual_server "group:G" is IPv4`}},
	})
}

// TestGroupGranularityDefault: an IPv6 group's default persistence granularity is 128, not
// the IPv4 default taken before the group's addresses were known.
func TestGroupGranularityDefault(t *testing.T) {
	cfg := mustParse(t, "virtual_server_group \"G\" {\n  vip = [\"[2001:db8::1]:443\"]\n}\nvirtual_server \"group:G\" {\n  protocol = \"TCP\"\n  persistence_timeout = 60\n}\n")
	if got := cfg.VirtualServers[0].PersistenceGranularity; got != 128 {
		t.Errorf("persistence granularity %d, want 128", got)
	}
}

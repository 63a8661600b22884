package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/lvs"
)

// TestIPVSDryRunLVSKeywords shows the table each LVS keyword programs, as `halvs ipvs
// --dry-run` lists it.
func TestIPVSDryRunLVSKeywords(t *testing.T) {
	for _, tc := range []struct {
		name string
		conf string
		want []string
	}{
		{
			name: "virtual_server_group subnets and ranges, IPv4 and IPv6",
			conf: `virtual_server_group "G4" {
  vip = ["10.0.2.0/30:80", "10.0.3.1-2:80"]
}
virtual_server_group "G6" {
  vip = ["[2001:db8:1::/127]:443"]
}
virtual_server "group:G4" {
  protocol   = "TCP"
  lvs_method = "DR"
  real_server "10.10.10.31:80" {}
}
virtual_server "group:G6" {
  protocol   = "TCP"
  lvs_method = "DR"
  real_server "[2001:db8:9::1]:443" {}
}
`,
			want: []string{
				"-A -t 10.0.2.0:80 -s wlc", "-a -t 10.0.2.0:80 -r 10.10.10.31:80 -g -w 1",
				"-A -t 10.0.2.1:80 -s wlc", "-a -t 10.0.2.1:80 -r 10.10.10.31:80 -g -w 1",
				"-A -t 10.0.2.2:80 -s wlc", "-a -t 10.0.2.2:80 -r 10.10.10.31:80 -g -w 1",
				"-A -t 10.0.2.3:80 -s wlc", "-a -t 10.0.2.3:80 -r 10.10.10.31:80 -g -w 1",
				"-A -t 10.0.3.1:80 -s wlc", "-a -t 10.0.3.1:80 -r 10.10.10.31:80 -g -w 1",
				"-A -t 10.0.3.2:80 -s wlc", "-a -t 10.0.3.2:80 -r 10.10.10.31:80 -g -w 1",
				"-A -t [2001:db8:1::]:443 -s wlc", "-a -t [2001:db8:1::]:443 -r [2001:db8:9::1]:443 -g -w 1",
				"-A -t [2001:db8:1::1]:443 -s wlc", "-a -t [2001:db8:1::1]:443 -r [2001:db8:9::1]:443 -g -w 1",
			},
		},
		{
			name: "persistence_engine sip, and none without persistence",
			conf: `virtual_server "10.0.0.1:5060" {
  protocol            = "UDP"
  persistence_timeout = 60
  persistence_engine  = "sip"
  real_server "10.10.10.31:5060" {}
}
virtual_server "10.0.0.2:5060" {
  protocol           = "UDP"
  persistence_engine = "sip"
  real_server "10.10.10.31:5060" {}
}
`,
			want: []string{
				"-A -u 10.0.0.1:5060 -s wlc -p 60 --pe sip", "-a -u 10.0.0.1:5060 -r 10.10.10.31:5060 -m -w 1",
				"-A -u 10.0.0.2:5060 -s wlc", "-a -u 10.0.0.2:5060 -r 10.10.10.31:5060 -m -w 1",
			},
		},
		{
			name: "TUN encapsulation: gue, gre, ipip; the sorry server's own",
			conf: `virtual_server "10.0.0.1:80" {
  protocol                = "TCP"
  lvs_method              = "TUN type gue port 6080 remcsum"
  sorry_server            = "10.10.10.39:80"
  sorry_server_lvs_method = "TUN type gre csum"
  real_server "10.10.10.31:80" {}
  real_server "10.10.10.32:80" {
    lvs_method = "TUN"
  }
}
`,
			want: []string{
				"-A -t 10.0.0.1:80 -s wlc",
				"-a -t 10.0.0.1:80 -r 10.10.10.31:80 -i --tun-type gue --tun-port 6080 --tun-remcsum -w 1",
				"-a -t 10.0.0.1:80 -r 10.10.10.32:80 -i -w 1",
			},
		},
		{
			name: "fwmark groups: IPv6 from the real servers, IPv4 by default",
			conf: `virtual_server_group "M6" {
  fwmark = [7, 8]
}
virtual_server_group "M4" {
  fwmark = [9]
}
virtual_server "group:M6" {
  lvs_method = "DR"
  real_server "[2001:db8:9::1]:0" {}
}
virtual_server "group:M4" {
  lvs_method = "DR"
  real_server "10.10.10.31:0" {}
}
`,
			want: []string{ // the table's order: IPv4 first
				"-A -f 9 -s wlc", "-a -f 9 -r 10.10.10.31:0 -g -w 1",
				"-A -f 7 -6 -s wlc", "-a -f 7 -6 -r [2001:db8:9::1]:0 -g -w 1",
				"-A -f 8 -6 -s wlc", "-a -f 8 -6 -r [2001:db8:9::1]:0 -g -w 1",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "halvs.hcl")
			if err := os.WriteFile(path, []byte(tc.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			m := lvs.NewMemory()
			withMemoryIPVS(t, m)
			code, out, errOut := runIPVSCmd("--dry-run", path)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if diff := cmp.Diff(tc.want, ipvsLines(out)); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
		})
	}
}

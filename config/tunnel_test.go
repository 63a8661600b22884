package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

// TestTunnelInheritance: a real server without lvs_method takes its virtual server's method
// and tunnel; one that writes lvs_method starts from IP-in-IP, as in keepalived.
func TestTunnelInheritance(t *testing.T) {
	cfg := mustParse(t, vs(`  lvs_method = "TUN type gue port 6080 csum"
  sorry_server = "10.0.0.9"
  sorry_server_lvs_method = "TUN type gre"
  real_server "10.0.0.2:80" {
  }
  real_server "10.0.0.3:80" {
    lvs_method = "TUN"
  }
  real_server "10.0.0.4:80" {
    lvs_method = "TUN type gue port 7000 remcsum"
  }
`))
	type got struct {
		VS, Sorry config.Tunnel
		RS        []config.Tunnel
	}
	v := cfg.VirtualServers[0]
	g := got{VS: v.Tunnel, Sorry: v.SorryServerTunnel}
	for _, rs := range v.RealServers {
		g.RS = append(g.RS, rs.Tunnel)
	}
	gue := config.Tunnel{Type: config.TunnelGUE, Port: 6080, Csum: "csum"}
	want := got{VS: gue, Sorry: config.Tunnel{Type: config.TunnelGRE},
		RS: []config.Tunnel{gue, {}, {Type: config.TunnelGUE, Port: 7000, Csum: "remcsum"}}}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTunnelValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "ipip and nocsum are the defaults", src: vs("  lvs_method = \"TUN type ipip nocsum\"\n")},
		{name: "gre csum", src: vs("  lvs_method = \"TUN type gre csum\"\n")},
		{name: "gue needs a port", src: vs("  lvs_method = \"TUN type gue\"\n"),
			want: []string{`3:16: error: lvs_method "TUN type gue": a gue tunnel needs a port, and other tunnels take none`}},
		{name: "a port without gue", src: vs("  lvs_method = \"TUN port 6080\"\n"),
			want: []string{`3:16: error: lvs_method "TUN port 6080": a gue tunnel needs a port, and other tunnels take none`}},
		{name: "ipip takes no checksum", src: vs("  lvs_method = \"TUN csum\"\n"),
			want: []string{`3:16: error: lvs_method "TUN csum": an ipip tunnel has no checksum option`}},
		{name: "gre takes no remcsum", src: vs("  lvs_method = \"TUN type gre remcsum\"\n"),
			want: []string{`3:16: error: lvs_method "TUN type gre remcsum": a gre tunnel has no remote checksum option`}},
		{name: "unknown type", src: vs("  lvs_method = \"TUN type vxlan\"\n"),
			want: []string{`3:16: error: lvs_method "TUN type vxlan": tunnel type must be ipip, gue or gre, not "vxlan"`}},
		{name: "bad port", src: vs("  lvs_method = \"TUN type gue port 0\"\n"),
			want: []string{`3:16: error: lvs_method "TUN type gue port 0": port "0" is not a number from 1 to 65535`}},
		{name: "options on DR", src: "virtual_server \"10.0.0.1:80\" {\n  protocol = \"TCP\"\n  real_server \"10.0.0.2:80\" {\n    lb_kind = \"DR type gre\"\n  }\n}\n",
			want: []string{`4:15: error: lb_kind "DR type gre": type, port and checksum options apply to TUN only`}},
		{name: "unknown option", src: vs("  lvs_method = \"TUN fast\"\n"),
			want: []string{`3:16: error: lvs_method "TUN fast": unknown tunnel option "fast"`}},
	})
}

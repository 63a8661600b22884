package config_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
	"github.com/halvs/halvs/healthcheck"
)

// vs wraps lines (starting at line 3) in a TCP virtual_server on 10.0.0.1:80.
func vs(lines string) string {
	return "virtual_server \"10.0.0.1:80\" {\n  protocol = \"TCP\"\n" + lines + "}\n"
}

// rs wraps lines (starting at line 4) in a real_server 10.0.0.2:80 inside vs.
func rs(lines string) string {
	return vs("  real_server \"10.0.0.2:80\" {\n" + lines + "  }\n")
}

func TestVirtualServerDefaults(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want func(*config.VirtualServer)
	}{
		{"minimal", vs(""), func(*config.VirtualServer) {}},
		{"new names", vs("  lvs_sched = \"mh\"\n  lvs_method = \"TUN\"\n  mh-port = true\n  mh-fallback = true\n"), func(v *config.VirtualServer) {
			v.Scheduler, v.Method, v.SorryServerMethod = config.SchedMH, config.MethodTUN, config.MethodTUN
			v.SchedFlags = config.SchedFlags{Flag1: true, Flag2: true}
		}},
		{"persistence", vs("  persistence_timeout = 360\n  persistence_granularity = \"255.255.255.0\"\n"), func(v *config.VirtualServer) {
			v.PersistenceTimeout, v.PersistenceGranularity = 360*time.Second, 24
		}},
		{"persistence engine", vs("  persistence_timeout = 60\n  persistence_engine = \"sip\"\n"), func(v *config.VirtualServer) {
			v.PersistenceTimeout, v.PersistenceEngine = 60*time.Second, "sip"
		}},
		{"quorum and sorry server", vs("  quorum = 3\n  hysteresis = 1\n  sorry_server = \"10.0.0.9\"\n  quorum_up = \"/bin/up\"\n  alpha = true\n  omega = true\n  inhibit_on_failure = true\n"),
			func(v *config.VirtualServer) {
				v.Quorum, v.Hysteresis, v.SorryServer = 3, 1, netip.MustParseAddrPort("10.0.0.9:80")
				v.QuorumUp = config.Script{Argv: []string{"/bin/up"}}
				v.Alpha, v.Omega, v.InhibitOnFailure = true, true, true
			}},
		{"fwmark", "virtual_server \"fwmark:7\" {\n  real_server \"[2001:db8::2]:80\" {\n  }\n}\n", func(v *config.VirtualServer) {
			v.Addr, v.FWMark, v.Family, v.Protocol, v.PersistenceGranularity = netip.AddrPort{}, 7, config.IPv6, config.ProtocolUDP, 128
			v.RealServers = []config.RealServer{{Addr: netip.MustParseAddrPort("[2001:db8::2]:80"), Weight: 1, Method: config.MethodNAT, DelayLoop: time.Minute}}
		}},
		{"group", "virtual_server_group \"G\" {\n  vip = [\"10.0.0.1-3:80\"]\n  fwmark = [5]\n}\nvirtual_server \"group:G\" {\n  protocol = \"TCP\"\n}\n", func(v *config.VirtualServer) {
			v.Addr, v.Group = netip.AddrPort{}, "G"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, tc.src)
			want := config.VirtualServer{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Family: config.IPv4, Protocol: config.ProtocolTCP,
				Scheduler: config.SchedWLC, Method: config.MethodNAT, SorryServerMethod: config.MethodNAT,
				PersistenceGranularity: 32, DelayLoop: 60 * time.Second, Quorum: 1}
			tc.want(&want)
			got := cfg.VirtualServers[0]
			if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVirtualServerGroup(t *testing.T) {
	cfg := mustParse(t, "virtual_server_group \"G\" {\n  vip = [\"10.0.0.1:80\", \"10.0.0.3-5:80\", \"[2001:db8::1-a]:443\", \"10.0.2.0/29:80\", \"10.0.3.0/24:80\", \"[2001:db8:1::/126]:443\", \"10.0.4.9/32:80\"]\n  fwmark = [1, 2]\n}\n")
	want := config.VirtualServerGroup{Name: "G", FWMarks: []uint32{1, 2}, VIPs: []config.AddrRange{
		{First: netip.MustParseAddr("10.0.0.1"), Last: netip.MustParseAddr("10.0.0.1"), Port: 80},
		{First: netip.MustParseAddr("10.0.0.3"), Last: netip.MustParseAddr("10.0.0.5"), Port: 80},
		{First: netip.MustParseAddr("2001:db8::1"), Last: netip.MustParseAddr("2001:db8::a"), Port: 443},
		{First: netip.MustParseAddr("10.0.2.0"), Last: netip.MustParseAddr("10.0.2.7"), Port: 80},
		{First: netip.MustParseAddr("10.0.3.0"), Last: netip.MustParseAddr("10.0.3.255"), Port: 80},
		{First: netip.MustParseAddr("2001:db8:1::"), Last: netip.MustParseAddr("2001:db8:1::3"), Port: 443},
		{First: netip.MustParseAddr("10.0.4.9"), Last: netip.MustParseAddr("10.0.4.9"), Port: 80},
	}}
	if diff := cmp.Diff([]config.VirtualServerGroup{want}, cfg.VirtualServerGroups, configtest.IgnorePositions()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRealServerAndCheckerDefaults(t *testing.T) {
	cfg := mustParse(t, vs(`  delay_loop = 10
  connect_timeout = 2
  real_server "10.0.0.2:80" {
    weight = 5
    uthreshold = 100
    lthreshold = 50
    notify_down = ["/bin/down", "x y"]
    tcp_check {
    }
    http_get {
      url {
        path = "/health"
        status_code = [200, "300-302"]
        digest = "9B3A0C85A887A256D6939DA88AABD8CD"
      }
    }
    misc_check {
      misc_path = "/bin/check arg"
    }
    dns_check {
      retry = 5
    }
    udp_check {
      payload = "0a0b"
      require_reply = "0aXb"
    }
    ping_check {
      connect_ip = "10.0.0.3"
      delay_loop = 1
    }
    file_check {
      track_file = "tf"
    }
  }
`)+"track_file \"tf\" {\n  file = \"/run/weight\"\n}\n")
	r := cfg.VirtualServers[0].RealServers[0]
	ip := netip.MustParseAddr("10.0.0.2")
	base := config.Checker{ConnectIP: ip, ConnectPort: 80, ConnectTimeout: 2 * time.Second, Retry: 1,
		DelayBeforeRetry: time.Second, DelayLoop: 10 * time.Second, Warmup: 10 * time.Second}
	with := func(f func(*config.Checker)) config.Checker { c := base; f(&c); return c }
	want := config.RealServer{Addr: netip.MustParseAddrPort("10.0.0.2:80"), Weight: 5, Method: config.MethodNAT,
		UThreshold: 100, LThreshold: 50, DelayLoop: 10 * time.Second, NotifyDown: config.Script{Argv: []string{"/bin/down", "x y"}},
		Checkers: []config.Checker{
			with(func(c *config.Checker) { c.Kind = healthcheck.KindTCP }),
			with(func(c *config.Checker) {
				c.Kind, c.DelayBeforeRetry = healthcheck.KindHTTP, 3*time.Second
				c.HTTP = &config.HTTPCheck{HTTPProtocol: "1.0", URLs: []config.URL{{Path: "/health",
					StatusCodes: []config.StatusRange{{200, 200}, {300, 302}}, Digest: "9b3a0c85a887a256d6939da88aabd8cd"}}}
			}),
			with(func(c *config.Checker) {
				c.Kind, c.Retry = healthcheck.KindMisc, 0
				c.Misc = &config.MiscCheck{Path: config.Script{Argv: []string{"/bin/check", "arg"}}, Timeout: 10 * time.Second}
			}),
			with(func(c *config.Checker) {
				c.Kind, c.Retry, c.DelayBeforeRetry = healthcheck.KindDNS, 5, 10*time.Second
				c.DNS = &config.DNSCheck{Type: "SOA", Name: "."}
			}),
			with(func(c *config.Checker) {
				c.Kind = healthcheck.KindUDP
				c.UDP = &config.UDPCheck{Payload: "0a0b", RequireReply: true, ReplyPattern: "0aXb", MaxReplyLength: 255}
			}),
			with(func(c *config.Checker) {
				c.Kind, c.ConnectIP, c.DelayLoop, c.Warmup = healthcheck.KindPing, netip.MustParseAddr("10.0.0.3"), time.Second, time.Second
			}),
			{Kind: healthcheck.KindFile, ConnectIP: ip, ConnectPort: 80, File: &config.FileCheck{TrackFile: "tf", Weight: 1}},
		}}
	if diff := cmp.Diff(want, r, configtest.IgnorePositions()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestVirtualServerValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "protocol missing warns UDP", src: "virtual_server \"10.0.0.1:53\" {\n}\n",
			want: []string{`1:1: warning: virtual_server "10.0.0.1:53" has no protocol; keepalived's default UDP applies`}},
		{name: "bad protocol", src: "virtual_server \"10.0.0.1:80\" {\n  protocol = \"tcp\"\n}\n",
			want: []string{`2:14: error: protocol must be "TCP", "UDP" or "SCTP", not "tcp"; did you mean "TCP"?`}},
		{name: "unknown scheduler", src: vs("  lvs_sched = \"roundrobin\"\n"), want: []string{`3:15: error: lvs_sched "roundrobin" is not an IPVS scheduler`}},
		{name: "unknown method", src: vs("  lb_kind = \"dr\"\n"), want: []string{`3:13: error: lb_kind must be "NAT", "DR" or "TUN", not "dr"; did you mean "DR"?`}},
		{name: "both synonyms", src: vs("  lb_algo = \"rr\"\n  lvs_sched = \"rr\"\n"), want: []string{`3:13: error: lb_algo and lvs_sched are the same setting`}},
		{name: "sh flag with rr", src: vs("  lvs_sched = \"rr\"\n  sh-port = true\n"), want: []string{`4:13: error: sh-port applies to lvs_sched "sh" only, not "rr"`}},
		{name: "ops on TCP", src: vs("  ops = true\n"), want: []string{`3:9: error: ops (one-packet scheduling) applies to UDP services only`}},
		{name: "bad label", src: "virtual_server \"10.0.0.1 80\" {\n  protocol = \"TCP\"\n}\n", want: []string{`1:16: error: virtual_server "10.0.0.1 80" is not ADDRESS:PORT`}},
		{name: "unbracketed v6", src: "virtual_server \"2001:db8::1:80\" {\n  protocol = \"TCP\"\n}\n", want: []string{`1:16: error: virtual_server "2001:db8::1:80": put an IPv6 address in brackets`}},
		{name: "no port not persistent", src: "virtual_server \"10.0.0.1\" {\n  protocol = \"TCP\"\n}\n", want: []string{`1:16: error: virtual_server "10.0.0.1:0" has no port; only a persistent service`}},
		{name: "hysteresis >= quorum", src: vs("  quorum = 2\n  hysteresis = 2\n"), want: []string{`4:16: error: hysteresis 2 must be less than quorum 2`}},
		{name: "granularity without persistence", src: vs("  persistence_granularity = 24\n"), want: []string{`3:29: warning: persistence_granularity has no effect without persistence_timeout`}},
		{name: "bad granularity", src: vs("  persistence_timeout = 60\n  persistence_granularity = \"255.0.255.0\"\n"), want: []string{`4:29: error: persistence_granularity: "255.0.255.0" is not a netmask`}},
		{name: "fractional persistence", src: vs("  persistence_timeout = 1.5\n"), want: []string{`3:25: error: persistence_timeout must be whole seconds`}},
		{name: "persistence over 31 days", src: vs("  persistence_timeout = 2678401\n"), want: []string{`3:25: error: persistence_timeout must be at most 2678400 seconds`}},
		{name: "persistence at 31 days", src: vs("  persistence_timeout = 2678400\n")},
		{name: "ha_suspend has no effect", src: vs("  ha_suspend = true\n"), want: []string{`3:16: warning: ha_suspend is accepted for compatibility but has no effect in halvs`}},
		{name: "persistence_engine other than sip", src: vs("  persistence_timeout = 60\n  persistence_engine = \"rtsp\"\n"),
			want: []string{`4:24: error: persistence_engine must be "sip" (the kernel's only persistence engine), not "rtsp"`}},
		{name: "persistence_engine without persistence", src: vs("  persistence_engine = \"sip\"\n"),
			want: []string{`3:24: warning: persistence_engine has no effect without persistence_timeout`}},
		{name: "hashed has no effect", src: vs("  hashed = true\n"), want: []string{`3:12: warning: hashed is accepted for compatibility but has no effect in halvs: the kernel hashes every IPVS service itself`}},
		{name: "sorry_server_inhibit has no effect", src: vs("  sorry_server = \"10.0.0.9\"\n  sorry_server_inhibit = true\n"),
			want: []string{`4:26: warning: sorry_server_inhibit is accepted for compatibility but has no effect in halvs`}},
		{name: "bad label still checks the body", src: "virtual_server \"10.0.0.1 80\" {\n  protocol = \"TCP\"\n  lvs_shed = \"rr\"\n}\n",
			want: []string{`1:16: error: virtual_server "10.0.0.1 80" is not ADDRESS:PORT`, `3:3: error: unknown keyword "lvs_shed"`}},
		{name: "sorry server family", src: vs("  sorry_server = \"[2001:db8::9]:80\"\n"), want: []string{`3:18: error: sorry_server [2001:db8::9]:80 is IPv6 but virtual_server "10.0.0.1:80" is IPv4`}},
		{name: "duplicate virtual server", src: vs("") + vs(""), want: []string{`4:1: error: virtual_server "10.0.0.1:80" (TCP) is defined twice (first at t.hcl:1:1)`}},
		{name: "same address other protocol is fine", src: vs("") + "virtual_server \"10.0.0.1:80\" {\n  protocol = \"UDP\"\n}\n"},
		{name: "group missing", src: "virtual_server \"group:G\" {\n  protocol = \"TCP\"\n}\n", want: []string{`1:1: error: virtual_server "group:G" names no virtual_server_group`}},
		{name: "group range", src: "virtual_server_group \"G\" {\n  vip = [\"10.0.0.5-3:80\"]\n}\n", want: []string{`2:10: error: vip: "10.0.0.5-3:80": the range must run from a lower to a higher address`}},
		{name: "group subnet with host bits", src: "virtual_server_group \"G\" {\n  vip = [\"10.0.2.3/29:80\"]\n}\n",
			want: []string{`2:10: error: vip: "10.0.2.3/29:80": 10.0.2.3/29 has host bits set; write 10.0.2.0/29`}},
		{name: "group subnet too large v4", src: "virtual_server_group \"G\" {\n  vip = [\"10.0.0.0/23:80\"]\n}\n",
			want: []string{`2:10: error: vip: "10.0.0.0/23:80": a subnet here must be /24 or longer (at most 256 services)`}},
		{name: "group subnet too large v6", src: "virtual_server_group \"G\" {\n  vip = [\"[2001:db8::/111]:80\"]\n}\n",
			want: []string{`2:10: error: vip: "[2001:db8::/111]:80": a subnet here must be /112 or longer (at most 65536 services)`}},
		{name: "group subnet bad prefix", src: "virtual_server_group \"G\" {\n  vip = [\"10.0.0.0/33:80\"]\n}\n",
			want: []string{`2:10: error: vip: "10.0.0.0/33:80" is not ADDRESS[-LAST]:PORT or SUBNET:PORT`}},
		{name: "group mixed families", src: "virtual_server_group \"G\" {\n  vip = [\"10.0.0.1:80\", \"[2001:db8::1]:80\"]\n}\nvirtual_server \"group:G\" {\n  protocol = \"TCP\"\n}\n",
			want: []string{`2:25: error: virtual_server_group "G" mixes IPv4 and IPv6 addresses`}},
		{name: "empty group", src: "virtual_server_group \"G\" {\n}\n", want: []string{`1:1: error: virtual_server_group "G" is empty`}},
		{name: "bad fwmark", src: "virtual_server \"fwmark:0\" {\n  protocol = \"TCP\"\n}\n", want: []string{`1:16: error: virtual_server "fwmark:0": a firewall mark is a number from 1`}},
	})
}

func TestRealServerValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "family", src: vs("  real_server \"[2001:db8::2]:80\" {\n  }\n"),
			want: []string{`3:3: error: real_server [2001:db8::2]:80 is IPv6 but virtual_server "10.0.0.1:80" is IPv4; only TUN forwarding may cross families`}},
		{name: "TUN may cross families", src: vs("  real_server \"[2001:db8::2]:80\" {\n    lvs_method = \"TUN\"\n  }\n")},
		{name: "old lb_kind crosses families too", src: vs("  real_server \"[2001:db8::2]:80\" {\n    lb_kind = \"TUN\"\n  }\n")},
		{name: "lb_kind and lvs_method", src: rs("    lb_kind = \"DR\"\n    lvs_method = \"DR\"\n"), want: []string{`4:15: error: lb_kind and lvs_method are the same setting`}},
		{name: "bind_if too long", src: rs("    tcp_check {\n      bind_if = \"abcdefghijklmnop\"\n    }\n"), want: []string{`5:17: error: bind_if: "abcdefghijklmnop" is 16 characters; interface names have at most 15`}},
		{name: "duplicate", src: vs("  real_server \"10.0.0.2:80\" {\n  }\n  real_server \"10.0.0.2\" {\n  }\n"),
			want: []string{`5:3: error: real_server 10.0.0.2:80 is listed twice in virtual_server "10.0.0.1:80"`}},
		{name: "weight range", src: rs("    weight = 2147483648\n"), want: []string{`4:14: error: weight must be a whole number from 0 to 2147483647, not 2147483648`}},
		{name: "negative weight", src: rs("    weight = -1\n"), want: []string{`4:14: error: weight must be a whole number from 0 to 2147483647, not -1`}},
		{name: "thresholds", src: rs("    uthreshold = 10\n    lthreshold = 10\n"), want: []string{`5:18: error: lthreshold 10 must be below uthreshold 10`}},
		{name: "DR port change", src: vs("  lb_kind = \"DR\"\n  real_server \"10.0.0.2:8080\" {\n  }\n"),
			want: []string{`4:3: warning: real_server 10.0.0.2:8080: DR forwarding cannot change the port`}},
		{name: "nb_get_retry", src: rs("    tcp_check {\n      nb_get_retry = 3\n    }\n"),
			want: []string{`5:22: warning: nb_get_retry is the old name of retry`}},
		{name: "retry and nb_get_retry", src: rs("    tcp_check {\n      nb_get_retry = 3\n      retry = 3\n    }\n"),
			want: []string{`5:22: error: nb_get_retry and retry are the same setting`, `5:22: warning: nb_get_retry is the old name of retry`}},
		{name: "uppercase checker", src: rs("    HTTP_GET {\n    }\n"), want: []string{`4:5: error: unknown block "HTTP_GET" in real_server "10.0.0.2:80"; did you mean "http_get"?`}},
		{name: "checker typo", src: rs("    tcp_check {\n      conect_timeout = 3\n    }\n"),
			want: []string{`5:7: error: unknown keyword "conect_timeout" in tcp_check of real_server "10.0.0.2:80"; did you mean "connect_timeout"?`}},
		{name: "http without url", src: rs("    http_get {\n    }\n"), want: []string{`4:5: error: http_get needs at least one url`}},
		{name: "bad status", src: rs("    http_get {\n      url {\n        path = \"/\"\n        status_code = 700\n      }\n    }\n"),
			want: []string{`7:23: error: status code "700" must be a code or a range from 100 to 599`}},
		{name: "bad digest", src: rs("    ssl_get {\n      url {\n        path = \"/\"\n        digest = \"abc\"\n      }\n    }\n"),
			want: []string{`7:18: error: digest must be 32 hex digits`}},
		{name: "ca_file without tls_verify", src: rs("    ssl_get {\n      ca_file = \"/etc/ca.pem\"\n      url {\n        path = \"/\"\n      }\n    }\n"),
			want: []string{`5:17: error: ca_file is only read with tls_verify = true (keepalived never verifies the server's certificate)`}},
		{name: "tls_verify on http_get", src: rs("    http_get {\n      tls_verify = true\n      url {\n        path = \"/\"\n      }\n    }\n"),
			want: []string{`5:7: error: unknown keyword "tls_verify" in http_get of real_server "10.0.0.2:80"`}},
		{name: "relative path", src: rs("    http_get {\n      url {\n        path = \"health\"\n      }\n    }\n"),
			want: []string{`5:7: error: url needs path = "/..."`}},
		{name: "misc without path", src: rs("    misc_check {\n    }\n"), want: []string{`4:5: error: misc_check needs misc_path`}},
		{name: "misc has no connect options", src: rs("    misc_check {\n      misc_path = \"/bin/x\"\n      connect_port = 80\n    }\n"),
			want: []string{`6:7: error: unknown keyword "connect_port" in misc_check`}},
		{name: "dns type", src: rs("    dns_check {\n      type = \"aaaa\"\n    }\n"), want: []string{`5:14: error: type must be one of A NS CNAME SOA MX TXT AAAA, not "aaaa"; did you mean "AAAA"?`}},
		{name: "bindto family", src: rs("    tcp_check {\n      bindto = \"2001:db8::1\"\n    }\n"), want: []string{`5:16: error: bindto 2001:db8::1 is not in the family of the address checked`}},
		{name: "connect_port range", src: rs("    tcp_check {\n      connect_port = 70000\n    }\n"), want: []string{`5:22: error: connect_port must be a whole number from 1 to 65535`}},
		{name: "file_check track_file", src: rs("    file_check {\n      track_file = \"tf\"\n    }\n"), want: []string{`5:20: error: file_check track_file "tf" names no track_file block`}},
		{name: "udp payload", src: rs("    udp_check {\n      payload = \"zz\"\n    }\n"), want: []string{`5:17: error: payload must be hex digits`}},
		{name: "checker label", src: rs("    tcp_check \"x\" {\n    }\n"), want: []string{`4:15: error: tcp_check blocks take no name`}},
		{name: "fwmark real server without port", src: "virtual_server \"fwmark:1\" {\n  real_server \"10.0.0.2\" {\n    tcp_check {\n    }\n  }\n}\n",
			want: []string{`3:5: error: tcp_check of a real server without a port needs connect_port`}},
	})
}

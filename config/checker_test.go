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

// TestSMTPCheckHosts: keepalived runs one checker per host block, each with its own connection
// options defaulting to the real server's address (not the smtp_check's), plus the
// smtp_check's own when it sets a connection keyword; timing and helo_name are shared.
func TestSMTPCheckHosts(t *testing.T) {
	rsAddr := netip.MustParseAddr("10.0.0.2")
	base := config.Checker{Kind: healthcheck.KindSMTP, ConnectIP: rsAddr, ConnectPort: 25, ConnectTimeout: 3 * time.Second,
		Retry: 2, DelayBeforeRetry: time.Second, DelayLoop: time.Minute, Warmup: time.Minute}
	with := func(f func(*config.Checker)) config.Checker { c := base; f(&c); return c }
	tests := []struct {
		name string
		body string
		want []config.Checker
	}{
		{"no hosts", "      helo_name = \"lb1.example.net\"\n      retry = 2\n", []config.Checker{
			with(func(c *config.Checker) { c.SMTP = &config.SMTPCheck{HeloName: "lb1.example.net"} }),
		}},
		{"hosts only: one checker per host", "      retry = 2\n      host {\n        connect_ip = \"10.0.0.5\"\n        connect_port = 2525\n      }\n      host {\n        connect_timeout = 1\n        fwmark = 7\n      }\n",
			[]config.Checker{
				with(func(c *config.Checker) {
					c.ConnectIP, c.ConnectPort, c.SMTP = netip.MustParseAddr("10.0.0.5"), 2525, &config.SMTPCheck{Host: 1}
				}),
				with(func(c *config.Checker) {
					c.ConnectTimeout, c.FWMark, c.SMTP = time.Second, 7, &config.SMTPCheck{Host: 2}
				}),
			}},
		{"own connection keyword keeps the block's checker", "      retry = 2\n      connect_timeout = 9\n      fwmark = 3\n      host {\n        bindto = \"10.0.0.30\"\n      }\n",
			[]config.Checker{
				with(func(c *config.Checker) { c.ConnectTimeout, c.FWMark, c.SMTP = 9*time.Second, 3, &config.SMTPCheck{} }),
				with(func(c *config.Checker) {
					c.BindTo, c.SMTP = netip.MustParseAddr("10.0.0.30"), &config.SMTPCheck{Host: 1}
				}),
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := vs("  connect_timeout = 3\n  real_server \"10.0.0.2:25\" {\n    smtp_check {\n" + tc.body + "    }\n  }\n")
			cfg, diags := config.Parse([]byte(src), "t.hcl")
			if diags.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", diags)
			}
			got := cfg.VirtualServers[0].RealServers[0].Checkers
			if diff := cmp.Diff(tc.want, got, configtest.IgnorePositions()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckerKeywordValidation(t *testing.T) {
	smtp := func(body string) string { return rs("    smtp_check {\n" + body + "    }\n") }
	// url puts lines (from line 7) in the url of an http_get.
	url := func(lines string) string {
		return rs("    http_get {\n      url {\n        path = \"/\"\n" + lines + "      }\n    }\n")
	}
	// ssl puts lines (from line 5) in an ssl_get with one url.
	ssl := func(lines string) string {
		return rs("    ssl_get {\n" + lines + "      url {\n        path = \"/\"\n      }\n    }\n")
	}
	runDiagCases(t, []diagCase{
		{name: "smtp_check", src: smtp("      helo_name = \"lb1.example.net\"\n")},
		{name: "helo_name with a space", src: smtp("      helo_name = \"a b\"\n"), want: []string{`5:19: error: helo_name must be one word of printable ASCII`}},
		{name: "helo_name with a line break", src: smtp("      helo_name = \"a\\r\\nQUIT\"\n"), want: []string{`5:19: error: helo_name must be one word`}},
		{name: "host block deprecated", src: smtp("      host {\n        connect_ip = \"10.0.0.5\"\n      }\n"),
			want: []string{`5:7: warning: host blocks are deprecated in keepalived; write one smtp_check per host`}},
		{name: "timing belongs to smtp_check, not host", src: smtp("      host {\n        retry = 3\n      }\n"),
			want: []string{`5:7: warning: host blocks are deprecated`, `6:9: error: unknown keyword "retry" in host 1 of smtp_check`}},
		{name: "host label", src: smtp("      host \"a\" {\n      }\n"),
			want: []string{`5:7: warning: host blocks are deprecated`, `5:12: error: host blocks take no name`}},
		{name: "host bindto family", src: smtp("      host {\n        bindto = \"2001:db8::1\"\n      }\n"),
			want: []string{`5:7: warning: host blocks are deprecated`, `6:18: error: bindto 2001:db8::1 is not in the family of the address checked`}},
		{name: "host only in smtp_check", src: rs("    tcp_check {\n      host {\n      }\n    }\n"),
			want: []string{`5:7: error: unknown block "host" in tcp_check`}},
		{name: "fwmark", src: rs("    tcp_check {\n      fwmark = 4294967295\n    }\n")},
		{name: "fwmark zero", src: rs("    tcp_check {\n      fwmark = 0\n    }\n"), want: []string{`5:16: error: fwmark must be a whole number from 1 to 4294967295, not 0`}},
		{name: "fwmark on ping_check", src: rs("    ping_check {\n      fwmark = 1\n    }\n"), want: []string{`5:16: error: fwmark marks a checker's TCP or UDP connection; ping_check's ICMP echo is not marked`}},
		{name: "regex keywords", src: url(`        regex = "status: (OK|WARN)"
        regex_no_match = true
        regex_min_offset = 2
        regex_max_offset = 100
        regex_options = ["caseless", "dotall", "utf"]
`)},
		{name: "PCRE lookahead", src: url("        regex = \"a(?=b)\"\n"),
			want: []string{`7:17: error: regex: error parsing regexp: invalid or unsupported Perl syntax: ` + "`(?=`" + `; halvs uses Go's RE2, which has no lookahead`}},
		{name: "bad regex", src: url("        regex = \"(a\"\n"), want: []string{`7:17: error: regex: error parsing regexp: missing closing )`}},
		{name: "empty regex", src: url("        regex = \"\"\n"), want: []string{`7:17: error: regex must not be empty`}},
		{name: "regex_no_match without regex", src: url("        regex_no_match = true\n"), want: []string{`7:26: error: regex_no_match needs a regex in the same url`}},
		{name: "max below min", src: url("        regex = \"a\"\n        regex_min_offset = 5\n        regex_max_offset = 4\n"),
			want: []string{`9:28: error: regex_max_offset 4 is below regex_min_offset 5`}},
		{name: "negative offset", src: url("        regex = \"a\"\n        regex_min_offset = -1\n"),
			want: []string{`8:28: error: regex_min_offset must be a whole number from 0 to 2147483647, not -1`}},
		{name: "PCRE-only option", src: url("        regex = \"a\"\n        regex_options = [\"extended\"]\n"),
			want: []string{`8:26: error: regex_options "extended" has no RE2 equivalent; halvs takes caseless dotall multiline no_auto_capture`}},
		{name: "fast_recovery", src: rs("    http_get {\n      fast_recovery = true\n      url {\n        path = \"/\"\n      }\n    }\n")},
		{name: "fast_recovery false", src: rs("    http_get {\n      fast_recovery = false\n      url {\n        path = \"/\"\n      }\n    }\n"),
			want: []string{`5:23: warning: fast_recovery = false has no effect: halvs fetches every url of a checker in each check`}},
		{name: "sni_name", src: ssl("      sni_name = \"www.example.com\"\n")},
		{name: "sni_name with enable_sni off", src: ssl("      enable_sni = false\n      sni_name = \"www.example.com\"\n"),
			want: []string{`6:18: error: sni_name sends a server name; it cannot go with enable_sni = false`}},
		{name: "sni_name not a name", src: ssl("      sni_name = \"a b\"\n"), want: []string{`5:18: error: sni_name must be a host name`}},
		{name: "sni_name only on ssl_get", src: rs("    http_get {\n      sni_name = \"a\"\n      url {\n        path = \"/\"\n      }\n    }\n"),
			want: []string{`5:7: error: unknown keyword "sni_name" in http_get`}},
		{name: "ssl block", src: "global {\n  ssl {\n    ca = \"/etc/ca.pem\"\n    certificate = \"/etc/c.pem\"\n    key = \"/etc/k.pem\"\n    password = \"x\"\n  }\n}\n"},
		{name: "ssl certificate without key", src: "global {\n  ssl {\n    certificate = \"/etc/c.pem\"\n  }\n}\n",
			want: []string{`3:19: error: certificate needs key = "/path/to/key.pem"`}},
		{name: "ssl key without certificate", src: "global {\n  ssl {\n    key = \"/etc/k.pem\"\n  }\n}\n",
			want: []string{`3:11: error: key needs certificate`}},
		{name: "ssl password alone", src: "global {\n  ssl {\n    password = \"x\"\n  }\n}\n",
			want: []string{`3:16: error: password decrypts the key; it needs key and certificate`}},
		{name: "ssl empty path", src: "global {\n  ssl {\n    ca = \"\"\n  }\n}\n", want: []string{`3:10: error: ca must not be empty`}},
		{name: "ssl unknown keyword", src: "global {\n  ssl {\n    certfile = \"/etc/ca.pem\"\n  }\n}\n",
			want: []string{`3:5: error: unknown keyword "certfile" in ssl`}},
		{name: "ssl twice", src: "global {\n  ssl {\n  }\n  ssl {\n  }\n}\n", want: []string{`4:3: error: `}},
		{name: "log_all_failures", src: rs("    misc_check {\n      misc_path = \"/bin/x\"\n      log_all_failures = true\n    }\n")},
		{name: "log_all_failures not a bool", src: rs("    tcp_check {\n      log_all_failures = 1\n    }\n"), want: []string{`5:26: error: log_all_failures must be true or false`}},
		{name: "log_all_failures not on file_check", src: rs("    file_check {\n      track_file = \"tf\"\n      log_all_failures = true\n    }\n") + "track_file \"tf\" {\n  file = \"/run/w\"\n}\n",
			want: []string{`6:7: error: unknown keyword "log_all_failures" in file_check`}},
		{name: "checker_log_all_failures", src: "global {\n  checker_log_all_failures = true\n}\n"},
		{name: "bfd_check refused with the reason", src: rs("    bfd_check {\n    }\n"),
			want: []string{`4:5: error: unknown block "bfd_check" in real_server "10.0.0.2:80"; halvs has no BFD: no maintained Go BFD implementation interoperates with keepalived's or FRR's bfdd`}},
		{name: "BFD_CHECK refused with the reason", src: rs("    BFD_CHECK {\n    }\n"), want: []string{`4:5: error: unknown block "BFD_CHECK" in real_server "10.0.0.2:80"; halvs has no BFD`}},
		{name: "bfd_instance refused with the reason", src: "bfd_instance \"b\" {\n}\n", want: []string{`1:1: error: unknown block "bfd_instance" in the top level; halvs has no BFD`}},
		{name: "track_bfd refused with the reason", src: "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 1\n  virtual_ipaddress = [\"10.0.0.9\"]\n  track_bfd = [\"b\"]\n}\n",
			want: []string{`5:3: error: unknown keyword "track_bfd" in vrrp_instance "VI_1"; halvs has no BFD`}},
		{name: "fwmark not on misc_check", src: rs("    misc_check {\n      misc_path = \"/bin/x\"\n      fwmark = 1\n    }\n"),
			want: []string{`6:7: error: unknown keyword "fwmark" in misc_check`}},
	})
}

func TestGlobalSSL(t *testing.T) {
	cfg := mustParse(t, "global {\n  ssl {\n    ca = \"/etc/ca.pem\"\n    certificate = \"/etc/c.pem\"\n    key = \"/etc/k.pem\"\n    password = \"s3cret\"\n  }\n}\n")
	want := &config.SSL{CA: "/etc/ca.pem", Certificate: "/etc/c.pem", Key: "/etc/k.pem", Password: "s3cret"}
	if diff := cmp.Diff(want, cfg.Global.SSL, configtest.IgnorePositions()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

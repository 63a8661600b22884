package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkerKeywords uses every checker keyword of issue 13: smtp_check with helo_name and a host
// block, fwmark, log_all_failures, checker_log_all_failures, the url regex keywords,
// fast_recovery, sni_name and the global ssl block.
const checkerKeywords = `global {
  checker_log_all_failures = true
  ssl {
    ca          = "/etc/halvs/ca.pem"
    certificate = "/etc/halvs/client.pem"
    key         = "/etc/halvs/client.key"
    password    = "s3cret"
  }
}

virtual_server "10.10.10.22:25" {
  protocol = "TCP"
  real_server "10.10.10.31:25" {
    smtp_check {
      helo_name        = "lb1.example.net"
      fwmark           = 9
      log_all_failures = true
      host {
        connect_ip   = "10.10.10.131"
        connect_port = 2525
        fwmark       = 10
      }
    }
  }
}

virtual_server "10.10.10.22:443" {
  protocol = "TCP"
  real_server "10.10.10.31:443" {
    http_get {
      fast_recovery = true
      url {
        path             = "/health"
        regex            = "status: (OK|WARN)"
        regex_options    = ["caseless", "multiline"]
        regex_min_offset = 0
        regex_max_offset = 512
      }
      url {
        path           = "/errors"
        regex          = "\\d+ errors?"
        regex_no_match = true
      }
    }
    ssl_get {
      sni_name   = "www.example.com"
      tls_verify = true
      url {
        path = "/"
      }
    }
  }
}
`

func TestCheckCheckerKeywords(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("checkers.hcl", checkerKeywords)
	pcre := write("pcre.hcl", strings.Replace(checkerKeywords, `"status: (OK|WARN)"`, `"status(?=: OK)"`, 1))
	bfd := write("bfd.hcl", strings.Replace(checkerKeywords, "    smtp_check {", "    bfd_check {\n    }\n    smtp_check {", 1))
	tests := []struct {
		name       string
		file       string
		want       int
		wantStdout string
		wantStderr []string
	}{
		{"every new keyword", good, exitOK, "config OK: 0 vrrp_instances, 2 virtual_servers, 2 real_servers",
			[]string{good + ":18:7: warning: host blocks are deprecated in keepalived; write one smtp_check per host"}},
		{"PCRE lookahead", pcre, exitFailure, "",
			[]string{pcre + ":18:7: warning: host blocks are deprecated", pcre + ":34:28: error: regex: error parsing regexp: invalid or unsupported Perl syntax: `(?=`; halvs uses Go's RE2"}},
		{"BFD", bfd, exitFailure, "",
			[]string{bfd + ":14:5: error: unknown block \"bfd_check\" in real_server \"10.10.10.31:25\"; halvs has no BFD: no maintained Go BFD implementation interoperates with keepalived's or FRR's bfdd",
				bfd + ":20:7: warning: host blocks are deprecated"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if got := dispatch([]string{"check", "-c", tc.file}, &stdout, &stderr); got != tc.want {
				t.Errorf("exit = %d, want %d; stderr:\n%s", got, tc.want, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantStdout) || tc.wantStdout == "" && stdout.Len() > 0 {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tc.wantStdout)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if tc.want == exitFailure {
				lines = lines[:len(lines)-1] // the count line
			}
			if len(lines) != len(tc.wantStderr) {
				t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(tc.wantStderr), stderr.String())
			}
			for i, w := range tc.wantStderr {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("stderr line %d = %q, want it to start with %q", i+1, lines[i], w)
				}
			}
		})
	}
}

package director

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/healthcheck"
)

// TestTranslateCheckerKeywords: smtp_check (and its host blocks), fwmark, log_all_failures, the url regex
// keywords, sni_name and the global ssl block reach the health checks as configured.
func TestTranslateCheckerKeywords(t *testing.T) {
	cfg := parse(t, `
global {
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
      helo_name = "lb1.example.net"
      fwmark    = 9
      host {
        connect_port = 2525
      }
    }
    tcp_check {
      fwmark           = 4294967295
      log_all_failures = true
    }
    http_get {
      fast_recovery = true
      url {
        path             = "/health"
        regex            = "status: OK"
        regex_options    = ["caseless", "dotall"]
        regex_min_offset = 3
        regex_max_offset = 100
      }
      url {
        path           = "/errors"
        regex          = "error"
        regex_no_match = true
      }
    }
    ssl_get {
      sni_name = "www.example.com"
      url {
        path = "/"
      }
    }
    ssl_get {
      tls_verify = true
      url {
        path = "/"
      }
    }
    ssl_get {
      tls_verify = true
      ca_file    = "/etc/halvs/own-ca.pem"
      url {
        path = "/"
      }
    }
  }
}
`)
	got, err := TranslateHealth(cfg, fakeUsers)
	if err != nil {
		t.Fatal(err)
	}
	rs := netip.MustParseAddr("10.10.10.31")
	conn := func(port uint16, mark uint32) healthcheck.Conn {
		return healthcheck.Conn{ConnectIP: rs, ConnectPort: port, ConnectTimeout: 5 * time.Second, FWMark: mark}
	}
	timing := healthcheck.Timing{DelayLoop: time.Minute, Retry: 1, DelayBeforeRetry: time.Second, Warmup: time.Minute}
	logAll := timing
	logAll.LogAllFailures = true
	httpTiming := timing
	httpTiming.DelayBeforeRetry = 3 * time.Second
	ok := []healthcheck.StatusRange{{Min: 200, Max: 299}}
	client := healthcheck.ClientCert{CertFile: "/etc/halvs/client.pem", KeyFile: "/etc/halvs/client.key", Password: "s3cret"}
	want := []healthcheck.Check{
		{Spec: healthcheck.SMTPSpec{Conn: conn(25, 9), HeloName: "lb1.example.net"}, Timing: timing},
		{Spec: healthcheck.SMTPSpec{Conn: conn(2525, 0), HeloName: "lb1.example.net"}, Timing: timing},
		{Spec: healthcheck.TCPSpec{Conn: conn(25, 4294967295)}, Timing: logAll},
		{Spec: healthcheck.HTTPSpec{Conn: conn(25, 0), HTTPProtocol: "1.0", URLs: []healthcheck.URL{
			{Path: "/health", StatusCodes: ok, Regex: "(?is)status: OK", RegexMinOffset: 3, RegexOffsetLimit: 101},
			{Path: "/errors", StatusCodes: ok, Regex: "error", RegexNoMatch: true},
		}}, Timing: httpTiming},
		{Spec: healthcheck.HTTPSpec{Conn: conn(25, 0), TLS: true, HTTPProtocol: "1.0", EnableSNI: true, SNIName: "www.example.com",
			URLs: []healthcheck.URL{{Path: "/", StatusCodes: ok}}, ClientCert: client}, Timing: httpTiming},
		{Spec: healthcheck.HTTPSpec{Conn: conn(25, 0), TLS: true, HTTPProtocol: "1.0", TLSVerify: true, CAFile: "/etc/halvs/ca.pem",
			URLs: []healthcheck.URL{{Path: "/", StatusCodes: ok}}, ClientCert: client}, Timing: httpTiming},
		{Spec: healthcheck.HTTPSpec{Conn: conn(25, 0), TLS: true, HTTPProtocol: "1.0", TLSVerify: true, CAFile: "/etc/halvs/own-ca.pem",
			URLs: []healthcheck.URL{{Path: "/", StatusCodes: ok}}, ClientCert: client}, Timing: httpTiming},
	}
	if diff := cmp.Diff(want, got[0].VS.RealServers[0].Checks, cmpNet); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	// Every translated check must be one the health package accepts; those that read the ssl
	// files, which this test does not have, are left out of that.
	vs := got[0].VS
	rs0 := vs.RealServers[0]
	rs0.Checks = nil
	for _, c := range got[0].VS.RealServers[0].Checks {
		if h, ok := c.Spec.(healthcheck.HTTPSpec); !ok || !h.TLS {
			rs0.Checks = append(rs0.Checks, c)
		}
	}
	vs.RealServers = []healthcheck.RealServer{rs0}
	if _, err := healthcheck.New([]healthcheck.VirtualServer{vs}, healthcheck.Options{}); err != nil {
		t.Errorf("healthcheck.New: %v", err)
	}
}

// TestTranslateCheckerLogAllFailures: global checker_log_all_failures turns log_all_failures on
// for every checker.
func TestTranslateCheckerLogAllFailures(t *testing.T) {
	cfg := parse(t, `
global {
  checker_log_all_failures = true
}
virtual_server "10.10.10.22:80" {
  protocol = "TCP"
  real_server "10.10.10.31:80" {
    tcp_check {
    }
    misc_check {
      misc_path = "/bin/true"
    }
  }
}
`)
	got, err := TranslateHealth(cfg, fakeUsers)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got[0].VS.RealServers[0].Checks {
		if !c.Timing.LogAllFailures {
			t.Errorf("%s: LogAllFailures off, want on", c.Spec.Kind())
		}
	}
}

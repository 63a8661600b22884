package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/testutil"
	"github.com/halvs/halvs/lvs"
)

// TestRunCheckMetrics runs `halvs run` in this process on an in-memory IPVS table, with a
// tcp_check against a loopback listener, and scrapes global.metrics_listen: the check
// counters and latencies the director reports are there, labelled as the snapshot's series.
func TestRunCheckMetrics(t *testing.T) {
	rs := testutil.Serve(t, "127.0.0.1:0", func(c net.Conn) { c.Close() }).String()
	dir := t.TempDir()
	path := filepath.Join(dir, "halvs.hcl")
	cfg := fmt.Sprintf(`global {
  control_socket = %q
  metrics_listen = "127.0.0.1:0"
}
virtual_server "192.0.2.10:80" {
  protocol = "TCP"
  real_server %q {
    tcp_check {
      warmup     = 0
      delay_loop = 3600
    }
  }
}
`, filepath.Join(dir, "halvs.sock"), rs)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	_, logs := runInProcess(t, lvs.NewMemory(), "-c", path)

	urlRE := regexp.MustCompile(`url=(http://\S+/metrics)`)
	var url string
	waitFor(t, "the metrics listener", func() bool {
		m := urlRE.FindStringSubmatch(logs.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	scrape := func() string {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	labels := fmt.Sprintf(`checker="tcp_check %s",protocol="TCP",real_server="%s"`, rs, rs)
	success := fmt.Sprintf(`halvs_check_results_total{%s,result="success",virtual_server="192.0.2.10:80"} 1`, labels)
	// One scrape reads the snapshot and the event metrics concurrently: wait until one
	// shows the check everywhere.
	want := []string{success,
		fmt.Sprintf(`halvs_check_duration_seconds_count{%s,virtual_server="192.0.2.10:80"} 1`, labels),
		`halvs_real_server_healthy{protocol="TCP",real_server="` + rs + `",virtual_server="192.0.2.10:80"} 1`,
	}
	var body string
	defer func() {
		if t.Failed() {
			t.Logf("last scrape:\n%s", grepHalvs(body))
		}
	}()
	waitFor(t, "the check's result in a scrape", func() bool {
		body = scrape()
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				return false
			}
		}
		return true
	})
	// Both result series exist from the first result on, so that a rate of failures is 0
	// rather than absent while all is well.
	failure := fmt.Sprintf(`halvs_check_results_total{%s,result="failure",virtual_server="192.0.2.10:80"} 0`, labels)
	if !strings.Contains(body, failure+"\n") {
		t.Errorf("want %s:\n%s", failure, grepHalvs(body))
	}
}

func grepHalvs(body string) string {
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "halvs_check") || strings.HasPrefix(line, "halvs_real") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func TestSplitHealthName(t *testing.T) {
	tests := []struct{ in, name, proto string }{
		{"10.0.0.1:80/TCP", "10.0.0.1:80", "TCP"},
		{"[2001:db8::1]:53/UDP", "[2001:db8::1]:53", "UDP"},
		{"group:web/SCTP", "group:web", "SCTP"},
		{"fwmark:7", "fwmark:7", ""},
		{"group:a/b", "group:a/b", ""},
	}
	for _, tt := range tests {
		name, proto := splitHealthName(tt.in)
		if diff := cmp.Diff([2]string{tt.name, tt.proto}, [2]string{name, proto}); diff != "" {
			t.Errorf("splitHealthName(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

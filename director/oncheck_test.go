package director

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/healthcheck"
)

// TestOnCheckReportsResults: Options.OnCheck hears each health check's result with the
// virtual server's name and protocol, the real server and the checker.
func TestOnCheckReportsResults(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	type call struct {
		VS, RS, Checker string
		OK              bool
	}
	var mu sync.Mutex
	var calls []call
	opts.OnCheck = func(vs string, rs netip.AddrPort, checker string, r healthcheck.Result) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{vs, rs.String(), checker, r.OK})
	}
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+checkedVS), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	eventually(t, "a check result", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(calls) > 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The one checker probes a closed port as it starts, then once an hour.
	want := []call{{"10.0.0.1:80/TCP", "10.0.1.2:80", "tcp_check 127.0.0.1:1", false}}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("OnCheck calls (-want +got):\n%s", diff)
	}
}

const checkedVS = `
virtual_server "10.0.0.1:80" {
  protocol = "TCP"
  real_server "10.0.1.2:80" {
    tcp_check {
      connect_ip   = "127.0.0.1"
      connect_port = 1
      warmup       = 0
      delay_loop   = 3600
    }
  }
}
`

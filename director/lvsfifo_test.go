package director

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/healthcheck"
)

func TestFIFOLinesAsKeepalived(t *testing.T) {
	rs4, rs6 := netip.MustParseAddrPort("10.0.1.2:80"), netip.MustParseAddrPort("[2001:db8::2]:443")
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"address VS", fifoVSLine(HealthPlan{Track: "10.0.0.1:80", VS: healthcheck.VirtualServer{Name: "10.0.0.1:80/TCP"}}, true), "VS [10.0.0.1]:tcp:80 UP\n"},
		{"IPv6 RS", fifoRSLine(HealthPlan{Track: "[2001:db8::1]:443", VS: healthcheck.VirtualServer{Name: "[2001:db8::1]:443/UDP"}}, rs6, false),
			"RS [2001:db8::2]:udp:443 [2001:db8::1]:udp:443 DOWN\n"},
		{"fwmark VS", fifoVSLine(HealthPlan{Track: "fwmark:5", VS: healthcheck.VirtualServer{Name: "fwmark:5"}}, false), "VS FWM 5 DOWN\n"},
		{"fwmark RS", fifoRSLine(HealthPlan{Track: "fwmark:5", VS: healthcheck.VirtualServer{Name: "fwmark:5"}}, rs4, true), "RS [10.0.1.2]:none:80 FWM 5 UP\n"},
		{"group VS", fifoVSLine(HealthPlan{Track: "group:G", VS: healthcheck.VirtualServer{Name: "group:G/TCP"}}, true), "VS [G]:0 UP\n"},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestLVSNotifyFIFO: a real server that fails its first check and the quorum it takes with
// it are told on lvs_notify_fifo and on the global notify_fifo, as keepalived's checker does.
func TestLVSNotifyFIFO(t *testing.T) {
	dir := t.TempDir()
	global, lvsFIFO := readFIFO(t, dir+"/global"), readFIFO(t, dir+"/lvs")
	cfg := `
global {
  notify_fifo     = "` + dir + `/global"
  lvs_notify_fifo = "` + dir + `/lvs"
}
virtual_server "10.0.0.1:80" {
  protocol = "TCP"
  lb_kind  = "DR"
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
	k := newKernel()
	d, err := New(parse(t, cfg), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	want := "RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\nVS [10.0.0.1]:tcp:80 DOWN\n"
	lvsFIFO.waitFor(t, want)
	global.waitFor(t, want)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := lvsFIFO.text(); got != want {
		t.Errorf("lvs_notify_fifo %q, want %q", got, want)
	}
}

// TestLVSNotifyFIFOInitNotifies: with rs_init_notifies a real server that starts up alive is
// told at start too.
func TestLVSNotifyFIFOInitNotifies(t *testing.T) {
	dir := t.TempDir()
	lvsFIFO := readFIFO(t, dir+"/lvs")
	cfg := `
global {
  lvs_notify_fifo  = "` + dir + `/lvs"
  rs_init_notifies = true
}
virtual_server "10.0.0.1:80" {
  protocol = "TCP"
  lb_kind  = "DR"
  real_server "10.0.1.2:80" {}
}
`
	k := newKernel()
	d, err := New(parse(t, cfg), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	want := "RS [10.0.1.2]:tcp:80 [10.0.0.1]:tcp:80 UP\n"
	lvsFIFO.waitFor(t, want)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := lvsFIFO.text(); got != want {
		t.Errorf("lvs_notify_fifo %q, want %q", got, want)
	}
}

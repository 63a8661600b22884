package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/halvs/halvs/lvs"
)

// hcTable is the health-check section's configuration: n TCP virtual servers 10.1.X.Y:80
// (wrr, DR), each with one real server 10.2.X.Y:80 at weight 1 carrying one tcp_check that
// connects to 127.0.0.1:base+i, a listener of the section's listener process. The real
// servers' own addresses are never reached; connect_ip/connect_port point every check at
// loopback, so each of the n checks is a distinct probe (no two share a target, which halvs
// would run once). Every checker gets the same checks in its own notation.
//
// The timing is issue #5's: delay_loop 1 s, connect_timeout 1 s, retry 1,
// delay_before_retry 1 s.
type hcTable struct {
	n    int
	base int // first listener port
}

const (
	hcDelayLoop        = 1 // seconds, all four
	hcConnectTimeout   = 1
	hcRetry            = 1
	hcDelayBeforeRetry = 1
)

var loopback = netip.MustParseAddr("127.0.0.1")

func (t hcTable) String() string { return fmt.Sprintf("%d tcp_checks", t.n) }

func (t hcTable) vip(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 80)
}

func (t hcTable) rs(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}), 80)
}

// target is the address check i connects to.
func (t hcTable) target(i int) netip.AddrPort {
	return netip.AddrPortFrom(loopback, uint16(t.base+i))
}

// validate refuses sizes whose addresses or ports would wrap.
func (t hcTable) validate() error {
	if t.n < 1 || t.n > 1<<16 {
		return fmt.Errorf("%d checks: want 1..65536", t.n)
	}
	if t.base < 1024 || t.base+t.n-1 > 65535 {
		return fmt.Errorf("listener ports %d..%d: want them within 1024..65535", t.base, t.base+t.n-1)
	}
	return nil
}

// lvs is the IPVS table both daemons program while every check passes: every real server
// at its configured weight.
func (t hcTable) lvs() []lvs.VirtualServer {
	out := make([]lvs.VirtualServer, t.n)
	for i := range out {
		out[i] = lvs.VirtualServer{
			Service:      lvs.Service{Key: lvs.NewServiceKey(lvs.TCP, t.vip(i)), Scheduler: "wrr"},
			Destinations: []lvs.Destination{{Addr: t.rs(i), Forward: lvs.DR, Weight: 1}},
		}
	}
	return out
}

// hcl is halvs' configuration: no vrrp_instance, so `halvs run` runs the IPVS table and
// the health checks alone. The control socket is the bench's own, not /run/halvs.sock.
func (t hcTable) hcl(controlSocket string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global {\n  router_id      = \"HC_BENCH\"\n  control_socket = %q\n}\n", controlSocket)
	for i := range t.n {
		c := t.target(i)
		fmt.Fprintf(&b, `
virtual_server %q {
  delay_loop = %d
  lb_algo    = "wrr"
  lb_kind    = "DR"
  protocol   = "TCP"
  real_server %q {
    weight = 1
    tcp_check {
      connect_ip         = %q
      connect_port       = %d
      connect_timeout    = %d
      retry              = %d
      delay_before_retry = %d
    }
  }
}
`, t.vip(i), hcDelayLoop, t.rs(i), c.Addr(), c.Port(), hcConnectTimeout, hcRetry, hcDelayBeforeRetry)
	}
	return b.String()
}

// keepalived is keepalived's configuration of the same checks.
func (t hcTable) keepalived() string {
	var b strings.Builder
	b.WriteString("global_defs {\n    router_id HC_BENCH\n}\n")
	for i := range t.n {
		v, r, c := t.vip(i), t.rs(i), t.target(i)
		fmt.Fprintf(&b, `
virtual_server %s %d {
    delay_loop %d
    lb_algo wrr
    lb_kind DR
    protocol TCP
    real_server %s %d {
        weight 1
        TCP_CHECK {
            connect_ip %s
            connect_port %d
            connect_timeout %d
            retry %d
            delay_before_retry %d
        }
    }
}
`, v.Addr(), v.Port(), hcDelayLoop, r.Addr(), r.Port(), c.Addr(), c.Port(), hcConnectTimeout, hcRetry, hcDelayBeforeRetry)
	}
	return b.String()
}

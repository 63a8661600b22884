package healthcheck

import (
	"net/netip"
	"testing"
	"time"
)

func TestTCPCheck(t *testing.T) {
	for _, ip := range loopbacks(t) {
		open, closed := tcpListener(t, ip), closedPort(t, ip)
		tests := []struct {
			name string
			spec TCPSpec
			rs   netip.AddrPort
			want bool
		}{
			{"listener at the real server", TCPSpec{}, open, true},
			{"closed port", TCPSpec{}, closed, false},
			{"connect_port overrides", TCPSpec{Conn{ConnectPort: open.Port()}}, closed, true},
			{"connect_ip and port override", TCPSpec{Conn{ConnectIP: ip, ConnectPort: closed.Port()}}, open, false},
			{"bindto loopback", TCPSpec{Conn{BindTo: ip, ConnectTimeout: time.Second}}, open, true},
		}
		for _, tt := range tests {
			t.Run(ip.String()+"/"+tt.name, func(t *testing.T) {
				r := check(t, tt.spec, tt.rs)
				if r.OK != tt.want {
					t.Errorf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
				}
			})
		}
	}
}

func TestTCPSpecErrors(t *testing.T) {
	rs := netip.MustParseAddrPort("10.0.0.1:80")
	tests := []struct {
		name string
		spec TCPSpec
		rs   netip.AddrPort
	}{
		{"no port anywhere", TCPSpec{}, netip.AddrPortFrom(rs.Addr(), 0)},
		{"bindto family mismatch", TCPSpec{Conn{BindTo: netip.MustParseAddr("::1")}}, rs},
		{"link-local without bind_if", TCPSpec{Conn{ConnectIP: netip.MustParseAddr("fe80::1")}}, rs},
		{"negative timeout", TCPSpec{Conn{ConnectTimeout: -time.Second}}, rs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewChecker(tt.spec, tt.rs, DefaultTiming(KindTCP)); err == nil {
				t.Errorf("NewChecker(%+v) succeeded, want an error", tt.spec)
			}
		})
	}
}

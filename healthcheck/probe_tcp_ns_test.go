package healthcheck

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/halvs/halvs/internal/netnstest"
	"github.com/halvs/halvs/internal/testutil"
)

// TestTCPProbeLinkLocal checks a link-local connect_ip, which needs bind_if or a zone, on a veth
// inside a namespace of its own (root only).
func TestTCPProbeLinkLocal(t *testing.T) {
	lab := netnstest.New(t, "h18")
	br := lab.NewBridge()
	ns := lab.NewNS("ll")
	ifname := "h18ll0"
	br.Attach(ns, ifname, net.HardwareAddr{0x02, 0, 0, 0, 0x18, 1})
	ll := ns.LinkLocal(ifname)

	var open, closed netip.AddrPort
	ns.MustDo(func() error {
		l, err := net.Listen("tcp", netip.AddrPortFrom(ll.WithZone(ifname), 0).String())
		if err != nil {
			return err
		}
		testutil.ServeListener(t, l, func(c net.Conn) { c.Close() })
		open = netip.AddrPortFrom(ll, netip.MustParseAddrPort(l.Addr().String()).Port())
		l2, err := net.Listen("tcp", netip.AddrPortFrom(ll.WithZone(ifname), 0).String())
		if err != nil {
			return err
		}
		closed = netip.AddrPortFrom(ll, netip.MustParseAddrPort(l2.Addr().String()).Port())
		return l2.Close()
	})

	tests := []struct {
		name    string
		spec    TCPSpec
		rs      netip.AddrPort
		wantErr error // nil: the check passes
	}{
		{"listener", TCPSpec{Conn{BindInterface: ifname}}, open, nil},
		{"bindto the same link-local", TCPSpec{Conn{BindInterface: ifname, BindTo: ll}}, open, nil},
		{"zone in connect_ip, no bind_if", TCPSpec{Conn{ConnectIP: ll.WithZone(ifname)}}, open, nil},
		{"closed port", TCPSpec{Conn{BindInterface: ifname}}, closed, syscall.ECONNREFUSED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChecker(tt.spec, tt.rs, DefaultTiming(KindTCP))
			if err != nil {
				t.Fatal(err)
			}
			var r Result
			ns.MustDo(func() error { r = c.Check(context.Background()); return nil })
			switch {
			case tt.wantErr == nil && !r.OK:
				t.Errorf("%v: %v, want success", c, r.Err)
			case tt.wantErr != nil && !errors.Is(r.Err, tt.wantErr):
				t.Errorf("%v: err %v, want %v", c, r.Err, tt.wantErr)
			}
		})
	}
}

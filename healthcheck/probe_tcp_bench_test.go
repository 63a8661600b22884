package healthcheck

import (
	"context"
	"net"
	"net/netip"
	"testing"
)

// BenchmarkTCPCheck is one tcp_check against a loopback listener. Run it with -benchmem for the
// allocations per check; the time is mostly the kernel's handshake.
func BenchmarkTCPCheck(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c, err := NewChecker(TCPSpec{}, netip.MustParseAddrPort(l.Addr().String()), DefaultTiming(KindTCP))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if r := c.Check(ctx); !r.OK {
			b.Fatal(r.Err)
		}
	}
}

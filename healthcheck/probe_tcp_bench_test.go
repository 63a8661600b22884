package healthcheck

import (
	"context"
	"net/netip"
	"testing"
)

// BenchmarkTCPCheck is one tcp_check against a loopback listener. Run it with -benchmem for the
// allocations per check; the time is mostly the kernel's handshake.
func BenchmarkTCPCheck(b *testing.B) {
	rs := tcpListener(b, netip.MustParseAddr("127.0.0.1"))
	c, err := NewChecker(TCPSpec{}, rs, DefaultTiming(KindTCP))
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

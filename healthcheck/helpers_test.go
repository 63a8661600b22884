package healthcheck

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/testutil"
)

// loopbacks are the addresses the checker tests listen on; ::1 is skipped where IPv6 is off.
func loopbacks(t *testing.T) []netip.Addr {
	t.Helper()
	addrs := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	if l, err := net.Listen("tcp", "[::1]:0"); err == nil {
		l.Close()
		addrs = append(addrs, netip.MustParseAddr("::1"))
	}
	return addrs
}

// tcpListener accepts and closes connections until the test ends; it returns the address.
func tcpListener(t testing.TB, ip netip.Addr) netip.AddrPort {
	t.Helper()
	return testutil.Serve(t, netip.AddrPortFrom(ip, 0).String(), func(c net.Conn) { c.Close() })
}

// closedPort returns an address on ip where nothing listens (a port just released).
func closedPort(t *testing.T, ip netip.Addr) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(l.Addr().String())
	l.Close()
	return ap
}

// check builds spec's checker for rs and runs it once.
func check(t *testing.T, spec Spec, rs netip.AddrPort) Result {
	t.Helper()
	c, err := NewChecker(spec, rs, DefaultTiming(spec.Kind()))
	if err != nil {
		t.Fatalf("NewChecker(%+v): %v", spec, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := c.Check(ctx)
	if r.OK != (r.Err == nil) {
		t.Errorf("%v: OK %v with Err %v", c, r.OK, r.Err)
	}
	return r
}

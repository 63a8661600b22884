package vrrp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/netnstest"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// Shared by the kernel-facing tests: a segment (bridge in its own namespace) and hosts on it,
// every name prefixed "hk".

type labHost struct {
	ns   *netnstest.NS
	port *netnstest.Port
}

// newSegment makes a bridge and one host per address, each with interface hk0 and the MAC
// 02:00:0a:4d:00:<n>.
func newSegment(t *testing.T, addrs ...string) (*netnstest.Lab, *netnstest.Bridge, []labHost) {
	t.Helper()
	lab := netnstest.New(t, "hk")
	br := lab.NewBridge()
	var hosts []labHost
	for i, a := range addrs {
		ns := lab.NewNS(string(rune('a' + i)))
		mac := net.HardwareAddr{2, 0, 0x0a, 0x4d, 0, byte(i + 1)}
		port := br.Attach(ns, "hk0", mac, netip.MustParsePrefix(a))
		hosts = append(hosts, labHost{ns: ns, port: port})
	}
	return lab, br, hosts
}

// dialIn opens a transport inside a namespace and closes it when the test ends.
func dialIn(t *testing.T, ns *netnstest.NS, ifname string, f AddrFamily, opts TransportOptions) *RawTransport {
	t.Helper()
	var tr *RawTransport
	ns.MustDo(func() error {
		var err error
		tr, err = DialTransport(ifname, f, opts)
		return err
	})
	t.Cleanup(func() { tr.Close() })
	return tr
}

// receiveWithin returns the next packet, failing the test after a generous timeout (which
// closes the transport so that the receiving goroutine ends too). Every packet must carry the
// kernel's receive time, no later than the read returned and on the monotonic clock;
// receiveWithin checks that and clears ReceivedAt, so that callers compare the rest.
func receiveWithin(t *testing.T, tr Transport) Packet {
	t.Helper()
	start := time.Now()
	p := receiveWithinRaw(t, tr)
	end := time.Now()
	switch at := p.ReceivedAt; {
	case at.IsZero():
		t.Errorf("packet from %s has no ReceivedAt", p.Src)
	case at == at.Round(0): // Round(0) strips the monotonic reading
		t.Errorf("ReceivedAt %v has no monotonic reading", at)
	case at.After(end) || at.Before(start.Add(-maxStampAge)):
		t.Errorf("ReceivedAt %v is not within [Receive's start - %v, its return %v]", at, maxStampAge, end)
	}
	p.ReceivedAt = time.Time{}
	return p
}

func receiveWithinRaw(t *testing.T, tr Transport) Packet {
	t.Helper()
	type result struct {
		p   Packet
		err error
	}
	c := make(chan result, 1)
	go func() {
		p, err := tr.Receive()
		c <- result{p, err}
	}()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatalf("Receive: %v", r.err)
		}
		return r.p
	case <-time.After(10 * time.Second):
		tr.Close()
		t.Fatal("no packet received within 10s")
	}
	return Packet{}
}

// frameCapture records every Ethernet frame on one interface of a namespace, like tcpdump,
// through an AF_PACKET socket opened before the test sends anything.
type frameCapture struct{ frames chan []byte }

func captureOn(t *testing.T, ns *netnstest.NS, ifname string) *frameCapture {
	t.Helper()
	var c *packet.Conn
	ns.MustDo(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		c, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
		return err
	})
	t.Cleanup(func() { c.Close() })
	fc := &frameCapture{frames: make(chan []byte, 1024)}
	go func() {
		defer close(fc.frames)
		buf := make([]byte, 1<<16)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			select {
			case fc.frames <- append([]byte(nil), buf[:n]...):
			default: // the test is not reading; drop
			}
		}
	}()
	return fc
}

// next returns the first frame from now on that match accepts.
func (fc *frameCapture) next(t *testing.T, what string, match func(f []byte) bool) []byte {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-fc.frames:
			if !ok {
				t.Fatalf("capture ended before %s", what)
			}
			if match(f) {
				return f
			}
		case <-timeout:
			t.Fatalf("no %s captured within 10s", what)
		}
	}
}

// eventually polls cond (a kernel state the test waits for) until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after 10s", what, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

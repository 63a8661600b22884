package healthcheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tcp_check probe's paths: a handshake the kernel finished inside connect (loopback, in
// tcp_test.go), a refusal, a SYN left unanswered until connect_timeout or cancellation, and a
// handshake completed later through the runtime's poller. A listener whose accept queue is full
// drops SYNs, which gives loopback a peer that does not answer.

func TestTCPProbeRefused(t *testing.T) {
	for _, ip := range loopbacks(t) {
		t.Run(ip.String(), func(t *testing.T) {
			r := check(t, TCPSpec{}, closedPort(t, ip))
			if !errors.Is(r.Err, syscall.ECONNREFUSED) {
				t.Errorf("Err = %v, want connection refused", r.Err)
			}
			var op *net.OpError
			if !errors.As(r.Err, &op) || op.Op != "dial" {
				t.Errorf("Err = %#v, want a *net.OpError for dial", r.Err)
			}
		})
	}
}

func TestTCPProbeTimeout(t *testing.T) {
	for _, ip := range loopbacks(t) {
		t.Run(ip.String(), func(t *testing.T) {
			full := fullListener(t, ip)
			timeout := 100 * time.Millisecond
			r := check(t, TCPSpec{Conn{ConnectTimeout: timeout}}, full.addr)
			var ne net.Error
			if !errors.As(r.Err, &ne) || !ne.Timeout() {
				t.Fatalf("Err = %v, want a timeout", r.Err)
			}
			if r.Latency < timeout {
				t.Errorf("gave up after %v, before connect_timeout %v", r.Latency, timeout)
			}
		})
	}
}

func TestTCPProbeCancelled(t *testing.T) {
	full := fullListener(t, netip.MustParseAddr("127.0.0.1"))
	c, err := NewChecker(TCPSpec{Conn{ConnectTimeout: time.Minute}}, full.addr, DefaultTiming(KindTCP))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := c.Check(ctx); !errors.Is(r.Err, context.Canceled) {
		t.Errorf("Err = %v, want context.Canceled", r.Err)
	}
}

// TestTCPProbeLateHandshake makes the SYN wait in SYN-SENT (the listener's queue is full), then
// frees the queue: the kernel's SYN retransmission (after its initial 1 s RTO) completes the
// handshake while the probe waits in the runtime's poller.
func TestTCPProbeLateHandshake(t *testing.T) {
	full := fullListener(t, netip.MustParseAddr("127.0.0.1"))
	c, err := NewChecker(TCPSpec{Conn{ConnectTimeout: 10 * time.Second}}, full.addr, DefaultTiming(KindTCP))
	if err != nil {
		t.Fatal(err)
	}
	res := make(chan Result, 1)
	go func() { res <- c.Check(context.Background()) }()
	waitSynSent(t, full.addr)
	full.drain(t)
	if r := <-res; !r.OK {
		t.Fatalf("Check after the queue was freed: %v", r.Err)
	}
}

func TestTCPProbeBindPort(t *testing.T) {
	for _, ip := range loopbacks(t) {
		t.Run(ip.String(), func(t *testing.T) {
			open, port := tcpListener(t, ip), closedPort(t, ip).Port()
			r := check(t, TCPSpec{Conn{BindTo: ip, BindPort: port}}, open)
			if !r.OK {
				t.Fatalf("bindto %v bind_port %d: %v", ip, port, r.Err)
			}
		})
	}
}

func TestTCPProbeBindIfUnknown(t *testing.T) {
	r := check(t, TCPSpec{Conn{BindInterface: "h18-nosuch"}}, tcpListener(t, netip.MustParseAddr("127.0.0.1")))
	if r.OK || !strings.Contains(r.Err.Error(), "bind_if h18-nosuch") {
		t.Errorf("Err = %v, want a bind_if error", r.Err)
	}
}

// fullQueue is a listener with a backlog of zero and one connection it never accepts: the
// kernel drops further SYNs, so a connect to it stays in SYN-SENT.
type fullQueue struct {
	addr netip.AddrPort
	fd   int
}

func fullListener(t *testing.T, ip netip.Addr) *fullQueue {
	t.Helper()
	family, sa := sockaddr(netip.AddrPortFrom(ip, 0))
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	name, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	var port int
	switch a := name.(type) {
	case *unix.SockaddrInet4:
		port = a.Port
	case *unix.SockaddrInet6:
		port = a.Port
	}
	q := &fullQueue{addr: netip.AddrPortFrom(ip, uint16(port)), fd: fd}
	filler, err := net.DialTimeout("tcp", q.addr.String(), 5*time.Second)
	if err != nil {
		t.Fatalf("filling the accept queue: %v", err)
	}
	t.Cleanup(func() { filler.Close() })
	return q
}

// drain accepts and closes the connection that filled the queue, making room for one more.
func (q *fullQueue) drain(t *testing.T) {
	t.Helper()
	nfd, _, err := unix.Accept(q.fd)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(nfd)
}

// waitSynSent waits until a socket connecting to dst sits in SYN-SENT (state 02). It reads the
// calling thread's table: /proc/net follows the main thread, which a namespace test's locked
// goroutine may have left in its namespace.
func waitSynSent(t *testing.T, dst netip.AddrPort) {
	t.Helper()
	want := fmt.Sprintf(":%04X 02 ", dst.Port())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		f, err := os.Open("/proc/thread-self/net/tcp")
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// "sl local_address rem_address st ...": the remote address ends with the port.
			if fields := strings.Fields(sc.Text()); len(fields) > 3 && strings.Contains(fields[2]+" "+fields[3]+" ", want) {
				f.Close()
				return
			}
		}
		f.Close()
	}
	t.Fatalf("no connection to %v in SYN-SENT after 10s", dst)
}

// TestTCPSpecKey: checks share a probe exactly when every resolved parameter is the same.
func TestTCPSpecKey(t *testing.T) {
	rs := netip.MustParseAddrPort("10.0.0.1:80")
	base := Conn{ConnectTimeout: time.Second}
	variants := map[string]Conn{
		"connect_ip":      {ConnectIP: netip.MustParseAddr("10.0.0.2"), ConnectTimeout: time.Second},
		"connect_port":    {ConnectPort: 81, ConnectTimeout: time.Second},
		"bindto":          {BindTo: netip.MustParseAddr("10.0.0.9"), ConnectTimeout: time.Second},
		"bind_port":       {BindPort: 5000, ConnectTimeout: time.Second},
		"bind_if":         {BindInterface: "eth1", ConnectTimeout: time.Second},
		"connect_timeout": {ConnectTimeout: 2 * time.Second},
		"fwmark":          {FWMark: 7, ConnectTimeout: time.Second},
	}
	key := func(c Conn) string {
		t.Helper()
		r, err := TCPSpec{c}.resolve(resolveEnv{RealServer: rs, Timing: DefaultTiming(KindTCP)})
		if err != nil {
			t.Fatal(err)
		}
		return probeKey(r, DefaultTiming(KindTCP))
	}
	want := key(base)
	if got := key(Conn{ConnectIP: rs.Addr(), ConnectPort: rs.Port(), ConnectTimeout: time.Second}); got != want {
		t.Errorf("the real server's address spelled out: key %q, want %q", got, want)
	}
	seen := map[string]string{want: "base"}
	for name, c := range variants {
		k := key(c)
		if other, dup := seen[k]; dup {
			t.Errorf("%s: key %q same as %s's", name, k, other)
		}
		seen[k] = name
	}
}

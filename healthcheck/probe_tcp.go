package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// tcpProbe is tcp_check's connect done as keepalived does it (layer4.c socket_bind_connect,
// check_tcp.c): a non-blocking socket, optional SO_BINDTODEVICE, SO_MARK and bind, connect,
// wait until the socket is writable, read the outcome, close normally (a FIN, no SO_LINGER,
// as keepalived closes a checked connection).
//
// It replaces net.Dialer for tcp_check because at ten thousand checks a second the dialer's
// general-purpose work was most of the checker's cost: keep-alive and TCP_NODELAY setsockopts,
// getsockname/getpeername, a context and timer per dial, and the poller registration even when
// the handshake has already finished (on loopback the kernel completes it inside connect).
//
// A tcpProbe holds its socket addresses ready for the kernel and so must not be used
// concurrently; the scheduler never overlaps runs of one checker.
type tcpProbe struct {
	target  netip.AddrPort
	addr    *net.TCPAddr // the target, for errors
	family  int
	sa      unix.Sockaddr // connect address
	bind    unix.Sockaddr // nil: the kernel picks the source
	bindIf  string
	zone    string // link-local zone, resolved to an index at each connect
	mark    uint32
	timeout time.Duration

	// pollFn is p.pollConnect as a func value made once (not one closure per wait); it leaves
	// the attempt's outcome in pollErr.
	pollFn  func(fd uintptr) bool
	pollErr error
}

// newTCPProbe prepares a probe of a resolved Conn.
func newTCPProbe(c Conn) *tcpProbe {
	t := c.target()
	p := &tcpProbe{target: t, addr: net.TCPAddrFromAddrPort(t), bindIf: c.BindInterface,
		zone: t.Addr().Zone(), mark: c.FWMark, timeout: c.ConnectTimeout}
	p.family, p.sa = sockaddr(t)
	p.pollFn = p.pollConnect
	if c.BindTo.IsValid() || c.BindPort != 0 {
		b := c.BindTo.Unmap()
		if !b.IsValid() { // bind_port alone: any address of the target's family
			b = netip.IPv4Unspecified()
			if p.family == unix.AF_INET6 {
				b = netip.IPv6Unspecified()
			}
		}
		_, p.bind = sockaddr(netip.AddrPortFrom(b, c.BindPort))
	}
	return p
}

func sockaddr(ap netip.AddrPort) (int, unix.Sockaddr) {
	if ip := ap.Addr().Unmap(); ip.Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ip.As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

// connect opens a TCP connection to the target within the connect timeout (or ctx's deadline,
// if earlier) and closes it. It returns nil when the handshake completed, else a *net.OpError
// like net.Dialer's ("dial tcp 10.0.0.1:80: connect: connection refused", "... i/o timeout").
func (p *tcpProbe) connect(ctx context.Context, start time.Time) error {
	fd, err := unix.Socket(p.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return p.opError(os.NewSyscallError("socket", err))
	}
	if err := p.setup(fd); err != nil {
		unix.Close(fd)
		return p.opError(err)
	}
	err = unix.Connect(fd, p.sa)
	if err == unix.EINPROGRESS {
		// Asking again costs one system call and answers at once when the handshake finished
		// during the first (loopback, a local peer): 0 or EISCONN when connected, the error
		// when refused, EALREADY while the SYN is still out.
		err = unix.Connect(fd, p.sa)
	}
	switch err {
	case nil, unix.EISCONN:
		unix.Close(fd)
		return nil
	case unix.EALREADY, unix.EINPROGRESS, unix.EINTR:
		return p.wait(ctx, fd, start)
	default:
		unix.Close(fd)
		return p.opError(os.NewSyscallError("connect", err))
	}
}

// setup applies bind_if, fwmark and bindto/bind_port before connect.
func (p *tcpProbe) setup(fd int) error {
	if p.bindIf != "" {
		if err := unix.BindToDevice(fd, p.bindIf); err != nil {
			return fmt.Errorf("bind_if %s: %w", p.bindIf, err)
		}
	}
	if p.mark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(p.mark)); err != nil {
			return fmt.Errorf("fwmark %d: %w", p.mark, err)
		}
	}
	if p.zone != "" {
		idx, err := zoneIndex(p.zone)
		if err != nil {
			return err
		}
		p.sa.(*unix.SockaddrInet6).ZoneId = idx
		if b, ok := p.bind.(*unix.SockaddrInet6); ok && netip.AddrFrom16(b.Addr).IsLinkLocalUnicast() {
			b.ZoneId = idx
		}
	}
	if p.bind != nil {
		if err := unix.Bind(fd, p.bind); err != nil {
			return os.NewSyscallError("bind", err)
		}
	}
	return nil
}

// wait hands a connect in progress to the runtime's poller and waits for writability until the
// deadline. It owns fd.
func (p *tcpProbe) wait(ctx context.Context, fd int, start time.Time) error {
	f := os.NewFile(uintptr(fd), "tcp_check")
	defer f.Close()
	deadline := start.Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := f.SetWriteDeadline(deadline); err != nil {
		return p.opError(err)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return p.opError(err)
	}
	err = rc.Write(p.pollFn)
	switch {
	case err == nil:
		if p.pollErr != nil {
			return p.opError(p.pollErr)
		}
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil:
		return p.opError(ctx.Err())
	default:
		return p.opError(err)
	}
}

// pollConnect is called by the poller when the socket may be writable. It connects again rather
// than reading SO_ERROR: that also tells a spurious wake-up (EALREADY) from a completed handshake,
// and returns the attempt's error when it failed.
func (p *tcpProbe) pollConnect(fd uintptr) bool {
	switch err := unix.Connect(int(fd), p.sa); err {
	case unix.EALREADY, unix.EINPROGRESS, unix.EINTR:
		return false
	case nil, unix.EISCONN:
		p.pollErr = nil
	default:
		p.pollErr = os.NewSyscallError("connect", err)
	}
	return true
}

func (p *tcpProbe) opError(err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: p.addr, Err: err}
}

// zoneIndex resolves an IPv6 zone (an interface name or number) to an interface index.
func zoneIndex(zone string) (uint32, error) {
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index), nil
	}
	n, err := strconv.ParseUint(zone, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("zone %q: no such interface", zone)
	}
	return uint32(n), nil
}

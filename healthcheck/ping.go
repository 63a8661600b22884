package healthcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// PingSpec is a PING_CHECK block (keepalived check_ping.c): one ICMP or ICMPv6 echo to the real
// server (or connect_ip); up when the matching echo reply arrives within connect_timeout. It
// uses an unprivileged datagram ICMP socket where net.ipv4.ping_group_range allows it, a raw
// socket otherwise (root or CAP_NET_RAW).
type PingSpec struct {
	ConnectIP      netip.Addr    // connect_ip; zero: the real server's address
	ConnectTimeout time.Duration // connect_timeout; zero: 5 s
}

// Kind implements Spec.
func (PingSpec) Kind() Kind { return KindPing }

func (s PingSpec) resolve(env resolveEnv) (Spec, error) {
	if !s.ConnectIP.IsValid() {
		s.ConnectIP = env.RealServer.Addr()
	}
	s.ConnectIP = s.ConnectIP.Unmap()
	if !s.ConnectIP.IsValid() {
		return nil, errors.New("PING_CHECK: no connect_ip and no real server address")
	}
	if s.ConnectTimeout == 0 {
		s.ConnectTimeout = DefaultConnectTimeout
	}
	if s.ConnectTimeout < 0 {
		return nil, errors.New("PING_CHECK: connect_timeout must be positive")
	}
	return s, nil
}

func (s PingSpec) newChecker() (Checker, error) { return &pingChecker{spec: s}, nil }

type pingChecker struct {
	spec PingSpec
	seq  atomic.Uint32
}

func (c *pingChecker) String() string { return fmt.Sprintf("ping_check %v", c.spec.ConnectIP) }

// pingPayload is keepalived's 128-byte echo body.
var pingPayload = bytes.Repeat([]byte("halvs-ping-check"), 8)

// ErrICMPNotPermitted is returned when neither a datagram nor a raw ICMP socket can be opened.
var ErrICMPNotPermitted = errors.New("ICMP sockets not permitted (net.ipv4.ping_group_range, CAP_NET_RAW)")

func (c *pingChecker) Check(ctx context.Context) Result {
	start := time.Now()
	fail := func(err error) Result { return Result{Err: err, Latency: time.Since(start)} }
	v6 := c.spec.ConnectIP.Is6()
	conn, dgram, err := listenICMP(v6)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	defer bindDeadline(ctx, conn, start, c.spec.ConnectTimeout)()

	// With a datagram socket the kernel owns the id and filters replies; with a raw one every
	// reply arrives, so match ours by id and sequence.
	id := os.Getpid() & 0xffff
	seq := int(c.seq.Add(1) & 0xffff)
	var typ, reply icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	proto := 1
	if v6 {
		typ, reply, proto = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, 58
	}
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: seq, Data: pingPayload}}
	wb, err := msg.Marshal(nil) // the kernel fills the ICMPv6 checksum
	if err != nil {
		return fail(err)
	}
	var dst net.Addr = &net.IPAddr{IP: c.spec.ConnectIP.AsSlice(), Zone: c.spec.ConnectIP.Zone()}
	if dgram {
		dst = &net.UDPAddr{IP: c.spec.ConnectIP.AsSlice(), Zone: c.spec.ConnectIP.Zone()}
	}
	if _, err := conn.WriteTo(wb, dst); err != nil {
		return fail(fmt.Errorf("send echo: %w", err))
	}
	rb := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(rb)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fail(fmt.Errorf("no echo reply within %v", c.spec.ConnectTimeout))
			}
			return fail(err)
		}
		if fromAddr(from) != c.spec.ConnectIP.WithZone("") {
			continue
		}
		m, err := icmp.ParseMessage(proto, rb[:n])
		if err != nil || m.Type != reply {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		if !ok || echo.Seq != seq || (!dgram && echo.ID != id) {
			continue
		}
		return Result{OK: true, Latency: time.Since(start)}
	}
}

func fromAddr(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.IPAddr:
		ip = a.IP
	}
	addr, _ := netip.AddrFromSlice(ip)
	return addr.Unmap()
}

// listenICMP opens a datagram ICMP socket, falling back to a raw one when the kernel refuses.
func listenICMP(v6 bool) (*icmp.PacketConn, bool, error) {
	dgram, raw, laddr := "udp4", "ip4:icmp", "0.0.0.0"
	if v6 {
		dgram, raw, laddr = "udp6", "ip6:ipv6-icmp", "::"
	}
	conn, err := icmp.ListenPacket(dgram, laddr)
	if err == nil {
		return conn, true, nil
	}
	if !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EPROTONOSUPPORT) {
		return nil, false, err
	}
	conn, err = icmp.ListenPacket(raw, laddr)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, false, ErrICMPNotPermitted
		}
		return nil, false, err
	}
	return conn, false, nil
}

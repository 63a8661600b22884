package healthcheck

import (
	"context"
	"fmt"
	"net"
	"time"
)

// TCPSpec is a TCP_CHECK block: up when a TCP connection to connect_ip:connect_port completes
// within connect_timeout (keepalived check_tcp.c). The connection is closed at once.
type TCPSpec struct {
	Conn
}

// Kind implements Spec.
func (TCPSpec) Kind() Kind { return KindTCP }

func (s TCPSpec) resolve(env resolveEnv) (Spec, error) {
	c, err := s.Conn.resolve(env.RealServer)
	if err != nil {
		return nil, fmt.Errorf("TCP_CHECK: %w", err)
	}
	s.Conn = c
	return s, nil
}

// newChecker builds the dialer and the target's text once: thousands of checks a second should
// not each rebuild them.
func (s TCPSpec) newChecker() (Checker, error) {
	return &tcpChecker{spec: s, dialer: s.dialer("tcp"), addr: s.target().String()}, nil
}

type tcpChecker struct {
	spec   TCPSpec
	dialer *net.Dialer // safe for concurrent use; never modified after newChecker
	addr   string
}

func (c *tcpChecker) String() string { return "tcp_check " + c.addr }

func (c *tcpChecker) Check(ctx context.Context) Result {
	start := time.Now()
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	lat := time.Since(start)
	if err != nil {
		return Result{Err: err, Latency: lat}
	}
	conn.Close()
	return Result{OK: true, Latency: lat}
}

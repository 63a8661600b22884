package healthcheck

import (
	"context"
	"fmt"
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

func (s TCPSpec) newChecker() (Checker, error) { return &tcpChecker{spec: s}, nil }

type tcpChecker struct{ spec TCPSpec }

func (c *tcpChecker) String() string { return fmt.Sprintf("tcp_check %v", c.spec.target()) }

func (c *tcpChecker) Check(ctx context.Context) Result {
	start := time.Now()
	conn, err := c.spec.dialer("tcp").DialContext(ctx, "tcp", c.spec.target().String())
	lat := time.Since(start)
	if err != nil {
		return Result{Err: err, Latency: lat}
	}
	conn.Close()
	return Result{OK: true, Latency: lat}
}

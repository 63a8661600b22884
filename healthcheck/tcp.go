package healthcheck

import (
	"context"
	"fmt"
	"net/netip"
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

// key identifies the probe compactly (a shared probe is looked up by it at every check): every
// parameter of the resolved spec, fixed order.
func (s TCPSpec) key() string {
	c := s.Conn
	return fmt.Sprintf("%v bindto=%v:%d bind_if=%q timeout=%v fwmark=%d",
		netip.AddrPortFrom(c.ConnectIP, c.ConnectPort), c.BindTo, c.BindPort, c.BindInterface, c.ConnectTimeout, c.FWMark)
}

// newChecker prepares the probe's socket addresses once: thousands of checks a second should
// not each rebuild them.
func (s TCPSpec) newChecker() (Checker, error) {
	return &tcpChecker{probe: newTCPProbe(s.Conn), name: "tcp_check " + s.target().String()}, nil
}

type tcpChecker struct {
	probe *tcpProbe // not safe for concurrent use: Check is never overlapped
	name  string
}

func (c *tcpChecker) String() string { return c.name }

func (c *tcpChecker) Check(ctx context.Context) Result {
	start := time.Now()
	err := c.probe.connect(ctx, start)
	return Result{OK: err == nil, Err: err, Latency: time.Since(start)}
}

package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// UDPSpec is a UDP_CHECK block (keepalived check_udp.c): send Payload from a connected socket and
// wait up to connect_timeout. An ICMP port unreachable (a read error) is a failure; silence is a
// success unless RequireReply. With Reply set, the reply must be MinReplyLength..MaxReplyLength
// bytes long and match Reply on the bytes both have, ignoring bits set in ReplyMask.
type UDPSpec struct {
	Conn
	Payload        []byte // payload (hex in keepalived.conf); empty sends udpFiller
	RequireReply   bool   // require_reply
	Reply          []byte // the expected reply after require_reply, optional
	ReplyMask      []byte // bits not compared; as long as Reply or empty
	MinReplyLength int    // min_reply_length, default 0
	MaxReplyLength int    // max_reply_length; zero: keepalived's 255
}

// Kind implements Spec.
func (UDPSpec) Kind() Kind { return KindUDP }

func (s UDPSpec) resolve(env resolveEnv) (Spec, error) {
	c, err := s.Conn.resolve(env.RealServer)
	if err != nil {
		return nil, fmt.Errorf("UDP_CHECK: %w", err)
	}
	s.Conn = c
	if s.MaxReplyLength == 0 {
		s.MaxReplyLength = 255
	}
	switch {
	case len(s.Reply) > 0 && !s.RequireReply:
		return nil, errors.New("UDP_CHECK: an expected reply needs require_reply")
	case len(s.ReplyMask) > 0 && len(s.ReplyMask) != len(s.Reply):
		return nil, errors.New("UDP_CHECK: reply mask and reply differ in length")
	case s.MinReplyLength < 0 || s.MaxReplyLength > 65507 || s.MinReplyLength > s.MaxReplyLength:
		return nil, fmt.Errorf("UDP_CHECK: reply length %d..%d invalid", s.MinReplyLength, s.MaxReplyLength)
	}
	return s, nil
}

func (s UDPSpec) newChecker() (Checker, error) { return &udpChecker{spec: s}, nil }

// udpFiller is what keepalived sends without a payload (layer4.c set_buf): its 32-byte buffer
// filled with "keepalived check - " repeated. Servers that ignore empty datagrams answer it.
var udpFiller = []byte("keepalived check - keepalived ch")

type udpChecker struct{ spec UDPSpec }

func (c *udpChecker) String() string { return fmt.Sprintf("udp_check %v", c.spec.target()) }

func (c *udpChecker) Check(ctx context.Context) Result {
	start := time.Now()
	fail := func(err error) Result { return Result{Err: err, Latency: time.Since(start)} }
	conn, err := c.spec.dialer("udp").DialContext(ctx, "udp", c.spec.target().String())
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	defer bindDeadline(ctx, conn, start, c.spec.ConnectTimeout)()
	payload := c.spec.Payload
	if len(payload) == 0 {
		payload = udpFiller
	}
	if _, err := conn.Write(payload); err != nil {
		return fail(fmt.Errorf("send: %w", err))
	}
	buf := make([]byte, c.spec.MaxReplyLength+1)
	n, err := conn.Read(buf)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil:
		if c.spec.RequireReply {
			return fail(fmt.Errorf("no reply within %v", c.spec.ConnectTimeout))
		}
		return Result{OK: true, Latency: time.Since(start)} // silence: no port unreachable
	case err != nil:
		return fail(err)
	}
	if len(c.spec.Reply) > 0 {
		if err := c.match(buf[:n]); err != nil {
			return fail(err)
		}
	}
	return Result{OK: true, Latency: time.Since(start)}
}

// match is keepalived's check_udp_reply.
func (c *udpChecker) match(got []byte) error {
	if len(got) < c.spec.MinReplyLength || len(got) > c.spec.MaxReplyLength {
		return fmt.Errorf("reply of %d bytes, want %d..%d", len(got), c.spec.MinReplyLength, c.spec.MaxReplyLength)
	}
	for i := 0; i < len(got) && i < len(c.spec.Reply); i++ {
		care := byte(0xff)
		if len(c.spec.ReplyMask) > 0 {
			care = ^c.spec.ReplyMask[i]
		}
		if (got[i]^c.spec.Reply[i])&care != 0 {
			return fmt.Errorf("reply mismatch at byte %d: %#02x, want %#02x", i, got[i], c.spec.Reply[i])
		}
	}
	return nil
}

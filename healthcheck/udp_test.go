package healthcheck

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// udpEcho answers every datagram with "ECHO:" + payload.
func udpEcho(t *testing.T, ip netip.Addr) netip.AddrPort {
	t.Helper()
	c, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			c.WriteTo(append([]byte("ECHO:"), buf[:n]...), from)
		}
	}()
	return netip.MustParseAddrPort(c.LocalAddr().String())
}

// udpSilent reads and never answers.
func udpSilent(t *testing.T, ip netip.Addr) netip.AddrPort {
	t.Helper()
	c, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return netip.MustParseAddrPort(c.LocalAddr().String())
}

func closedUDP(t *testing.T, ip netip.Addr) netip.AddrPort {
	t.Helper()
	c, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort(c.LocalAddr().String())
	c.Close()
	return ap
}

func TestUDPCheck(t *testing.T) {
	short := Conn{ConnectTimeout: 200 * time.Millisecond}
	for _, ip := range loopbacks(t) {
		echo, silent, closed := udpEcho(t, ip), udpSilent(t, ip), closedUDP(t, ip)
		tests := []struct {
			name string
			spec UDPSpec
			rs   netip.AddrPort
			want bool
		}{
			{"echo answers", UDPSpec{Conn: short, Payload: []byte("hi")}, echo, true},
			{"no payload sends keepalived's filler", UDPSpec{Conn: short, RequireReply: true, Reply: []byte("ECHO:keepalived check - keepalived ch"), MinReplyLength: 37, MaxReplyLength: 37}, echo, true},
			{"reply required and given", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true}, echo, true},
			{"expected reply matches", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true, Reply: []byte("ECHO:hi")}, echo, true},
			{"reply prefix is enough", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true, Reply: []byte("ECHO")}, echo, true},
			{"reply mismatch", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true, Reply: []byte("PONG")}, echo, false},
			{"mask ignores bits", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true, Reply: []byte("eCHO"), ReplyMask: []byte{0x20, 0, 0, 0}}, echo, true},
			{"reply too long", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true, Reply: []byte("E"), MaxReplyLength: 4}, echo, false},
			{"reply too short", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true, Reply: []byte("E"), MinReplyLength: 10}, echo, false},
			{"silence is success", UDPSpec{Conn: short, Payload: []byte("hi")}, silent, true},
			{"silence fails require_reply", UDPSpec{Conn: short, Payload: []byte("hi"), RequireReply: true}, silent, false},
			{"port unreachable fails", UDPSpec{Conn: short, Payload: []byte("hi")}, closed, false},
		}
		for _, tt := range tests {
			t.Run(ip.String()+"/"+tt.name, func(t *testing.T) {
				r := check(t, tt.spec, tt.rs)
				if r.OK != tt.want {
					t.Errorf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
				}
			})
		}
	}
	for _, bad := range []UDPSpec{
		{Reply: []byte("x")},
		{RequireReply: true, Reply: []byte("xy"), ReplyMask: []byte{1}},
		{MinReplyLength: 10, MaxReplyLength: 5},
	} {
		if _, err := NewChecker(bad, netip.MustParseAddrPort("10.0.0.1:53"), DefaultTiming(KindUDP)); err == nil {
			t.Errorf("NewChecker(%+v) succeeded, want an error", bad)
		}
	}
}

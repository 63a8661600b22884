package vrrp

import (
	"testing"
)

// TestTransportPending: RawTransport.Pending reports a datagram the kernel has queued and
// nobody has read (SIOCINQ on the real socket), and nothing once it is read.
func TestTransportPending(t *testing.T) {
	tests := []struct {
		name   string
		family AddrFamily
		addrs  []string
	}{
		{"IPv4", FamilyIPv4, []string{"10.77.0.1/24", "10.77.0.2/24"}},
		{"IPv6", FamilyIPv6, []string{"fd00:77::1/64", "fd00:77::2/64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, h := newSegment(t, tt.addrs...)
			ta := dialIn(t, h[0].ns, "hk0", tt.family, TransportOptions{})
			tb := dialIn(t, h[1].ns, "hk0", tt.family, TransportOptions{})
			group := MulticastIPv4
			if tt.family == FamilyIPv6 {
				group = MulticastIPv6
			}
			if tb.Pending() {
				t.Fatal("Pending before anything was sent")
			}
			for _, m := range []string{"first", "second"} {
				if err := ta.Send(group, []byte(m)); err != nil {
					t.Fatal(err)
				}
			}
			// B's reader is not running: both adverts wait in its socket.
			eventually(t, "B's socket holding A's adverts", func() (bool, string) { return tb.Pending(), "nothing pending" })
			for _, want := range []string{"first", "second"} {
				if !tb.Pending() {
					t.Fatalf("Pending false with %q unread", want)
				}
				if got := string(receiveWithin(t, tb).Payload); got != want {
					t.Fatalf("received %q, want %q", got, want)
				}
			}
			if tb.Pending() {
				t.Error("Pending after every advert was read")
			}
		})
	}
}

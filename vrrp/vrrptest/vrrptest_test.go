package vrrptest

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/halvs/halvs/vrrp/kernel"
)

var (
	hostA = netip.MustParseAddr("192.0.2.1")
	hostB = netip.MustParseAddr("192.0.2.2")
	hostC = netip.MustParseAddr("192.0.2.3")
	group = netip.MustParseAddr("224.0.0.18")
)

// received drains what p has been delivered, as its sources.
func received(p *Port) []netip.Addr {
	var from []netip.Addr
	for len(p.in) > 0 {
		pkt, _ := p.Receive()
		from = append(from, pkt.Src)
	}
	return from
}

func TestSegmentDelivery(t *testing.T) {
	type got struct{ A, A2, B, C []netip.Addr }
	tests := []struct {
		name string
		send func(s *Segment, a, b, c *Port)
		want got
	}{
		{"multicast reaches every other host, not the sender's own", func(s *Segment, a, b, c *Port) {
			a.Send(group, []byte{3})
		}, got{B: []netip.Addr{hostA}, C: []netip.Addr{hostA}}},
		{"unicast reaches its destination only", func(s *Segment, a, b, c *Port) {
			a.Send(hostC, []byte{3})
		}, got{C: []netip.Addr{hostA}}},
		{"a cut drops what it names", func(s *Segment, a, b, c *Port) {
			s.Cut(func(from, to netip.Addr) bool { return to == hostB })
			a.Send(group, []byte{3})
			s.Cut(nil)
			c.Send(group, []byte{3})
		}, got{A: []netip.Addr{hostC}, A2: []netip.Addr{hostC}, B: []netip.Addr{hostC}, C: []netip.Addr{hostA}}},
		{"a crashed port sends nothing but still receives", func(s *Segment, a, b, c *Port) {
			b.Crash()
			b.Send(group, []byte{3})
			a.Send(hostB, []byte{3})
		}, got{B: []netip.Addr{hostA}}},
		{"a closed port receives nothing", func(s *Segment, a, b, c *Port) {
			c.Close()
			a.Send(group, []byte{3})
		}, got{B: []netip.Addr{hostA}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Segment
			a, a2, b, c := s.Port(hostA), s.Port(hostA), s.Port(hostB), s.Port(hostC)
			tt.send(&s, a, b, c)
			got := got{received(a), received(a2), received(b), received(c)}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty(), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPortBusyAndSent(t *testing.T) {
	var s Segment
	a, b := s.Port(hostA), s.Port(hostB)
	a.Send(hostB, []byte{3, 0x51, 150})
	if !s.Busy() {
		t.Error("not busy with a packet delivered and not received")
	}
	b.Receive()
	if !s.Busy() {
		t.Error("not busy while the received packet may still be handled")
	}
	b.Close()
	if _, err := b.Receive(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Receive on a closed port: %v, want net.ErrClosed", err)
	}
	if s.Busy() {
		t.Error("busy after the receiver came back")
	}
	want := []kernel.Packet{{Src: hostA, Dst: hostB, HopLimit: 255, Payload: []byte{3, 0x51, 150}}}
	if diff := cmp.Diff(want, s.Sent(), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
		t.Errorf("Sent (-want +got):\n%s", diff)
	}
}

func TestAddresserLogsChangesOnly(t *testing.T) {
	var a Addresser
	v := kernel.VIP{Prefix: netip.MustParsePrefix("10.0.0.1/32")}
	own := netip.MustParsePrefix("10.0.0.2/24")
	a.Put(own)
	a.DelVIP(v) // absent: no flap
	a.AddVIP(v)
	a.Note("add route 10.1.0.0/16")
	a.DelVIP(v)
	a.AddVIP(v)
	a.Drop(v.Prefix)
	if diff := cmp.Diff([]string{"add 10.0.0.1/32", "add route 10.1.0.0/16", "del 10.0.0.1/32", "add 10.0.0.1/32"}, a.TakeOps()); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	if ops := a.Ops(); len(ops) != 0 {
		t.Errorf("ops after TakeOps: %q", ops)
	}
	if diff := cmp.Diff([]netip.Prefix{own}, a.Held(), cmpopts.EquateComparable(netip.Prefix{})); diff != "" {
		t.Errorf("held (-want +got):\n%s", diff)
	}
}

func TestLinks(t *testing.T) {
	var l Links
	l.Set("eth1", false)
	var got []bool
	stop := make(chan struct{})
	l.Watch("eth0", func(up bool) { got = append(got, up) }, stop)
	l.Watch("eth1", func(up bool) { got = append(got, up) }, make(chan struct{}))
	l.Set("eth0", false)
	close(stop)
	l.Set("eth0", true)
	if diff := cmp.Diff([]bool{true, false, false}, got); diff != "" {
		t.Errorf("reported (-want +got):\n%s", diff)
	}
	if n, m := l.Watching("eth0"), l.Watching("eth1"); n != 0 || m != 1 {
		t.Errorf("watching eth0 %d, eth1 %d; want 0 and 1", n, m)
	}
}

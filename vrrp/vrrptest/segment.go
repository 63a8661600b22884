package vrrptest

import (
	"bytes"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/halvs/halvs/vrrp/kernel"
)

// Segment is an in-memory Ethernet segment joining Ports: what one sends reaches every open
// Port of another host (another local address) that it is addressed to, a multicast to all.
// The zero Segment is ready to use.
type Segment struct {
	mu    sync.Mutex
	ports []*Port
	cut   func(from, to netip.Addr) bool
	sent  []kernel.Packet
}

// Port is one host's Transport on a Segment.
type Port struct {
	seg      *Segment
	local    netip.Addr
	in       chan kernel.Packet
	closed   chan struct{}
	once     sync.Once
	mu       sync.Mutex
	inflight int  // delivered to this port and not yet taken by the Receive after it
	taken    bool // Receive returned a packet; the next Receive means it was handled
	crashed  bool
	paused   chan struct{} // non-nil while Pause holds Receive back; closed by its resume
	held     bool          // Receive has taken a packet it may not return while paused
}

var _ kernel.Transport = (*Port)(nil)

// Port attaches a new Port with source address local, as a freshly opened socket.
func (s *Segment) Port(local netip.Addr) *Port {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &Port{seg: s, local: local, in: make(chan kernel.Packet, 1024), closed: make(chan struct{})}
	s.ports = append(s.ports, p)
	return p
}

// Cut drops everything from one local address to another for which drop returns true (a
// partition); nil heals the segment.
func (s *Segment) Cut(drop func(from, to netip.Addr) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = drop
}

// Busy reports whether a packet is still on its way: delivered to a Port whose receiver has
// not come back for the next one, so the instance may still be handling it.
func (s *Segment) Busy() bool {
	s.mu.Lock()
	ports := slices.Clone(s.ports)
	s.mu.Unlock()
	for _, p := range ports {
		p.mu.Lock()
		n := p.inflight
		if p.paused != nil {
			n = 0 // parked until resumed, not on their way
		}
		p.mu.Unlock()
		if n > 0 {
			return true
		}
	}
	return false
}

// Sent returns every packet the segment's Ports sent, in order, whether or not it reached
// anyone.
func (s *Segment) Sent() []kernel.Packet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Receive returns the next packet delivered to p, or net.ErrClosed once p is closed.
func (p *Port) Receive() (kernel.Packet, error) {
	p.mu.Lock()
	if p.taken {
		p.inflight-- // the previous packet has been handled
		p.taken = false
	}
	p.mu.Unlock()
	var pkt kernel.Packet
	select {
	case pkt = <-p.in:
	case <-p.closed:
		return kernel.Packet{}, net.ErrClosed
	}
	p.mu.Lock()
	gate := p.paused
	p.held = gate != nil
	p.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-p.closed:
			return kernel.Packet{}, net.ErrClosed
		}
	}
	p.mu.Lock()
	p.taken, p.held = true, false
	p.mu.Unlock()
	return pkt, nil
}

// Pause holds p's Receive back until resume is called: packets delivered meanwhile wait
// unread, as in the socket of a receive goroutine that is not scheduled. Pending reports
// them. Pausing a paused Port is a no-op, and resume a second time too.
func (p *Port) Pause() (resume func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused == nil {
		p.paused = make(chan struct{})
	}
	gate := p.paused
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.paused == gate {
			close(gate)
			p.paused = nil
		}
	}
}

// Pending reports whether packets delivered to p wait unread: queued, or taken by a
// Receive that Pause holds back.
func (p *Port) Pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held || len(p.in) > 0
}

// Send delivers msg with hop limit 255 to the open Ports that dst addresses, except p's
// host's own and those cut off from it. A crashed Port sends nothing.
func (p *Port) Send(dst netip.Addr, msg []byte) error {
	p.mu.Lock()
	crashed := p.crashed
	p.mu.Unlock()
	if crashed {
		return nil
	}
	pkt := kernel.Packet{Src: p.local, Dst: dst, HopLimit: 255, Payload: bytes.Clone(msg)}
	p.seg.mu.Lock()
	p.seg.sent = append(p.seg.sent, pkt)
	ports := slices.Clone(p.seg.ports)
	cut := p.seg.cut
	p.seg.mu.Unlock()
	for _, q := range ports {
		if q.local == p.local || !dst.IsMulticast() && q.local != dst || cut != nil && cut(p.local, q.local) {
			continue
		}
		select {
		case <-q.closed:
			continue
		default:
		}
		pkt.Payload = bytes.Clone(msg)
		q.Inject(pkt)
	}
	return nil
}

// Inject delivers pkt to p as if it came off the wire.
func (p *Port) Inject(pkt kernel.Packet) {
	p.mu.Lock()
	p.inflight++
	p.mu.Unlock()
	p.in <- pkt
}

// Crash makes p's host dead to the segment: from now on it sends nothing, while it still
// receives (its process does not know).
func (p *Port) Crash() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.crashed = true
}

// LocalAddr is the address p sends from.
func (p *Port) LocalAddr() netip.Addr { return p.local }

// Close ends p's Receive; p receives nothing more.
func (p *Port) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

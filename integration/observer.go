//go:build integration

package integration

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// protoVRRP is VRRP's IP protocol number (x/sys/unix has no Linux constant for it).
const protoVRRP = 112

// Kind is what an observed frame was.
type Kind int

const (
	KindAdvert Kind = iota + 1 // VRRP advertisement (IP protocol 112)
	KindGARP                   // gratuitous ARP: sender IP = target IP, request or reply
	KindNA                     // neighbour advertisement (ICMPv6 136)
)

func (k Kind) String() string {
	switch k {
	case KindAdvert:
		return "advert"
	case KindGARP:
		return "garp"
	case KindNA:
		return "na"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Event is one frame the observer saw, stamped by the kernel when it arrived.
type Event struct {
	Time   time.Time
	Kind   Kind
	SrcMAC net.HardwareAddr
	// IP is the advert's IP source, the GARP's sender (= target) address, or the NA's target.
	IP netip.Addr
	// Advert fields (KindAdvert only).
	Version  int
	VRID     int
	Priority int
	TTL      int           // TTL or hop limit of the IP packet
	Dst      netip.Addr    // IP destination: the multicast group or a unicast peer
	Interval time.Duration // the advert interval the advert carries
	Auth     string        // VRRPv2 PASS: the password field, without its NUL padding
	// Op is the ARP operation (1 request, 2 reply) for KindGARP; for KindNA, Op is 1 when the
	// solicited flag is clear (unsolicited).
	Op int
}

func (e Event) String() string {
	switch e.Kind {
	case KindAdvert:
		return fmt.Sprintf("%s advert v%d vrid %d prio %d ttl %d from %s (%s)",
			e.Time.Format("15:04:05.000000"), e.Version, e.VRID, e.Priority, e.TTL, e.IP, e.SrcMAC)
	default:
		return fmt.Sprintf("%s %s %s op %d from %s", e.Time.Format("15:04:05.000000"), e.Kind, e.IP, e.Op, e.SrcMAC)
	}
}

// Observer records every VRRP advert, gratuitous ARP and neighbour advertisement that
// arrives on one interface, with the kernel's receive timestamp. It reads an AF_PACKET socket
// opened inside the interface's namespace, so it sees the segment as a host on it does.
type Observer struct {
	conn *packet.Conn
	// sent keeps the frames the node itself sends (ObserveSent) instead of skipping them.
	sent bool

	mu     sync.Mutex
	events []Event
	notify chan struct{} // closed and replaced on every new event
	err    error
	done   chan struct{}
}

// Observe starts an observer on n's interface. Close stops it; the test's cleanup does too.
func Observe(n *Node) (*Observer, error) { return observe(n, false) }

// ObserveSent is Observe for the frames n itself sends, stamped as they leave (in the
// sending thread's context), instead of those it receives.
func ObserveSent(n *Node) (*Observer, error) { return observe(n, true) }

func observe(n *Node, sent bool) (*Observer, error) {
	var conn *packet.Conn
	err := n.NS.Do(func() error {
		ifi, err := net.InterfaceByName(n.If)
		if err != nil {
			return err
		}
		conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("observer on %s in %s: %w", n.If, n.NS.Name, err)
	}
	rc, err := conn.SyscallConn()
	if err == nil {
		var serr error
		err = rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
		})
		if err == nil {
			err = serr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("observer: kernel timestamps: %w", err)
	}
	o := &Observer{conn: conn, sent: sent, notify: make(chan struct{}), done: make(chan struct{})}
	go o.read(rc)
	return o, nil
}

// Close stops the observer; the events seen stay readable.
func (o *Observer) Close() error {
	err := o.conn.Close()
	<-o.done
	return err
}

func (o *Observer) read(rc interface {
	Read(func(uintptr) bool) error
}) {
	defer close(o.done)
	buf := make([]byte, 2048)
	oob := make([]byte, 128)
	for {
		var n, oobn int
		var from unix.Sockaddr
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_DONTWAIT)
			return !errors.Is(rerr, unix.EAGAIN)
		})
		if err == nil {
			err = rerr
		}
		if err != nil {
			o.mu.Lock()
			if !errors.Is(err, net.ErrClosed) {
				o.err = err
			}
			o.mu.Unlock()
			return
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && (ll.Pkttype == unix.PACKET_OUTGOING) != o.sent {
			continue // the observer's own host sending: not what the segment carries to it
		}
		ts := stamp(oob[:oobn])
		if e, ok := parseFrame(buf[:n]); ok {
			e.Time = ts
			o.mu.Lock()
			o.events = append(o.events, e)
			close(o.notify)
			o.notify = make(chan struct{})
			o.mu.Unlock()
		}
	}
}

// stamp returns the SO_TIMESTAMPNS time in oob, or now when the kernel gave none.
func stamp(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS &&
				len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
				ts := *(*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
				return time.Unix(ts.Unix())
			}
		}
	}
	return time.Now()
}

// parseFrame recognises the frames the observer records.
func parseFrame(b []byte) (Event, bool) {
	if len(b) < 14 {
		return Event{}, false
	}
	e := Event{SrcMAC: append(net.HardwareAddr(nil), b[6:12]...)}
	p := b[14:]
	switch binary.BigEndian.Uint16(b[12:14]) {
	case unix.ETH_P_ARP:
		// htype 1, ptype IPv4, hlen 6, plen 4: sender IP at 14, target IP at 24.
		if len(p) < 28 || binary.BigEndian.Uint16(p[0:2]) != 1 || binary.BigEndian.Uint16(p[2:4]) != unix.ETH_P_IP {
			return Event{}, false
		}
		spa, tpa := netip.AddrFrom4([4]byte(p[14:18])), netip.AddrFrom4([4]byte(p[24:28]))
		if spa != tpa {
			return Event{}, false
		}
		e.Kind, e.IP, e.Op = KindGARP, spa, int(binary.BigEndian.Uint16(p[6:8]))
		return e, true
	case unix.ETH_P_IP:
		if len(p) < 20 || p[0]>>4 != 4 {
			return Event{}, false
		}
		ihl := int(p[0]&0x0f) * 4
		if p[9] != protoVRRP || len(p) < ihl+8 {
			return Event{}, false
		}
		e.TTL, e.IP, e.Dst = int(p[8]), netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
		return advert(e, p[ihl:])
	case unix.ETH_P_IPV6:
		if len(p) < 40 || p[0]>>4 != 6 {
			return Event{}, false
		}
		e.TTL, e.IP, e.Dst = int(p[7]), netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
		switch p[6] { // next header; extension headers are not expected on this segment
		case protoVRRP:
			return advert(e, p[40:])
		case unix.IPPROTO_ICMPV6:
			icmp := p[40:]
			if len(icmp) < 24 || icmp[0] != 136 {
				return Event{}, false
			}
			e.Kind, e.IP = KindNA, netip.AddrFrom16([16]byte(icmp[8:24]))
			if icmp[4]&0x40 == 0 { // S flag clear: unsolicited
				e.Op = 1
			}
			return e, true
		}
	}
	return Event{}, false
}

func advert(e Event, v []byte) (Event, bool) {
	if len(v) < 8 {
		return Event{}, false
	}
	e.Kind, e.Version, e.VRID, e.Priority = KindAdvert, int(v[0]>>4), int(v[1]), int(v[2])
	if e.Version == 3 {
		// Max Adver Int: the low 12 bits, in centiseconds (RFC 5798 §5.2.7).
		e.Interval = time.Duration(binary.BigEndian.Uint16(v[4:6])&0x0fff) * 10 * time.Millisecond
		return e, true
	}
	// RFC 3768 §5.3: Adver Int in seconds; after the IPv4 addresses, 8 bytes of
	// authentication data, which for type 1 (PASS) is the password padded with NULs.
	e.Interval = time.Duration(v[5]) * time.Second
	if auth := 8 + 4*int(v[3]); v[4] == 1 && len(v) >= auth+8 {
		e.Auth = strings.TrimRight(string(v[auth:auth+8]), "\x00")
	}
	return e, true
}

// Events returns a copy of everything seen so far, in arrival order.
func (o *Observer) Events() []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Event(nil), o.events...)
}

// Mark returns the number of events seen so far: pass it to Since or WaitFor to look only
// at what comes after.
func (o *Observer) Mark() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.events)
}

// Since returns the events from index mark on.
func (o *Observer) Since(mark int) []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	if mark > len(o.events) {
		return nil
	}
	return append([]Event(nil), o.events[mark:]...)
}

// ErrTimeout is returned by WaitFor when no matching event arrived in time.
var ErrTimeout = errors.New("observer: no matching frame in time")

// WaitFor waits up to timeout for the first event from index mark on that match accepts,
// and returns it with its index.
func (o *Observer) WaitFor(mark int, timeout time.Duration, match func(Event) bool) (Event, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for i := mark; ; {
		o.mu.Lock()
		for ; i < len(o.events); i++ {
			if match(o.events[i]) {
				e := o.events[i]
				o.mu.Unlock()
				return e, i, nil
			}
		}
		notify, err := o.notify, o.err
		o.mu.Unlock()
		if err != nil {
			return Event{}, -1, fmt.Errorf("observer: %w", err)
		}
		select {
		case <-notify:
		case <-deadline.C:
			return Event{}, -1, ErrTimeout
		}
	}
}

// Matchers for WaitFor.

// AdvertFrom matches adverts sent by the interface with mac (any priority).
func AdvertFrom(mac net.HardwareAddr) func(Event) bool {
	return func(e Event) bool { return e.Kind == KindAdvert && macEq(e.SrcMAC, mac) }
}

// AnnounceFrom matches a gratuitous ARP (IPv4 vip) or neighbour advertisement (IPv6 vip)
// for vip sent by mac.
func AnnounceFrom(mac net.HardwareAddr, vip netip.Addr) func(Event) bool {
	return func(e Event) bool {
		return (e.Kind == KindGARP || e.Kind == KindNA) && e.IP == vip && macEq(e.SrcMAC, mac)
	}
}

func macEq(a, b net.HardwareAddr) bool { return string(a) == string(b) }

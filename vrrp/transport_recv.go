package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// A RawTransport reads with recvmsg(2) on the socket itself rather than through x/net's
// PacketConn.ReadFrom, whose ControlMessage has no room for the kernel's receive timestamp
// (SO_TIMESTAMPNS). One recvmsg returns the message, its source, the control messages that
// x/net's SetControlMessage asked for (IP_PKTINFO and IP_TTL, or IPV6_PKTINFO and
// IPV6_HOPLIMIT) and the timestamp; it goes through the runtime's poller like any other
// read, so Close unblocks it.

// oobSize holds every control message a VRRP socket gets: IPv6 packet info (40 bytes with
// its header and padding), hop limit (24) and timestamp (32), with room to spare.
const oobSize = 256

// maxStampAge bounds the age a kernel receive timestamp may have when the packet is read.
// Beyond it, or when the stamp lies in the future, the wall clock was stepped between the
// kernel's stamp and the read, and the stamp says nothing; the packet then has no
// ReceivedAt and the runner uses the time it handles it.
const maxStampAge = time.Second

// Receive returns the next VRRP message that arrived on the Transport's interface. Messages
// the kernel reports on another interface are dropped here. After Close it returns
// net.ErrClosed. The Payload is the caller's to keep. ReceivedAt is the kernel's receive
// timestamp moved onto the monotonic clock: time.Now() at the read, less the packet's age
// by the wall clock (now's wall reading minus the stamp, both CLOCK_REALTIME).
func (t *RawTransport) Receive() (Packet, error) {
	for {
		n, oobn, from, err := t.recvmsg()
		now := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return Packet{}, net.ErrClosed
			}
			return Packet{}, fmt.Errorf("vrrp: receive on %s: %w", t.ifi.Name, err)
		}
		p, ok := t.packet(t.buf[:n], t.oob[:oobn], from, now)
		if !ok || (p.IfIndex != 0 && p.IfIndex != t.ifi.Index) {
			continue
		}
		return p, nil
	}
}

// recvmsg reads one datagram into t.buf and its control messages into t.oob.
func (t *RawTransport) recvmsg() (n, oobn int, from unix.Sockaddr, err error) {
	var rerr error
	err = t.rc.Read(func(fd uintptr) bool {
		for {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), t.buf, t.oob, 0)
			if rerr != unix.EINTR {
				break
			}
		}
		return rerr != unix.EAGAIN // false: wait until the socket is readable, then retry
	})
	if err == nil {
		err = rerr
	}
	return n, oobn, from, err
}

// packet builds the Packet of one datagram as recvmsg returned it: b with the IPv4 header
// (raw IPv4 sockets deliver it; raw IPv6 sockets do not), oob its control messages. It
// reports false for a datagram too short to hold the IPv4 header it claims, which the
// kernel never delivers.
func (t *RawTransport) packet(b, oob []byte, from unix.Sockaddr, now time.Time) (Packet, bool) {
	if t.family == FamilyIPv4 {
		if len(b) < 20 {
			return Packet{}, false
		}
		hl := int(b[0]&0x0f) << 2
		if hl < 20 || hl > len(b) {
			return Packet{}, false
		}
		b = b[hl:]
	}
	p := Packet{HopLimit: -1, Payload: append([]byte(nil), b...)}
	switch sa := from.(type) {
	case *unix.SockaddrInet4:
		p.Src = netip.AddrFrom4(sa.Addr)
	case *unix.SockaddrInet6:
		p.Src = netip.AddrFrom16(sa.Addr).Unmap()
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return p, true // no header fields: the receive checks count what is missing
	}
	for _, m := range msgs {
		d := m.Data
		switch {
		case m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS:
			if stamp, ok := timespec(d); ok {
				p.ReceivedAt = receivedAt(stamp, now)
			}
		case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(d) >= 12:
			// struct in_pktinfo: ifindex, local address, header destination address.
			p.IfIndex = int(int32(binary.NativeEndian.Uint32(d)))
			p.Dst = netip.AddrFrom4([4]byte(d[8:12]))
		case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_TTL && len(d) >= 4:
			p.HopLimit = int(int32(binary.NativeEndian.Uint32(d)))
		case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_PKTINFO && len(d) >= 20:
			// struct in6_pktinfo: destination address, ifindex.
			p.Dst = netip.AddrFrom16([16]byte(d[:16])).Unmap()
			p.IfIndex = int(binary.NativeEndian.Uint32(d[16:]))
		case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_HOPLIMIT && len(d) >= 4:
			p.HopLimit = int(int32(binary.NativeEndian.Uint32(d)))
		}
	}
	return p, true
}

// timespec decodes SCM_TIMESTAMPNS's struct timespec: two longs, 64-bit or 32-bit.
func timespec(d []byte) (time.Time, bool) {
	switch len(d) {
	case 16:
		return time.Unix(int64(binary.NativeEndian.Uint64(d)), int64(binary.NativeEndian.Uint64(d[8:]))), true
	case 8:
		return time.Unix(int64(int32(binary.NativeEndian.Uint32(d))), int64(int32(binary.NativeEndian.Uint32(d[4:])))), true
	}
	return time.Time{}, false
}

// receivedAt places the kernel's CLOCK_REALTIME stamp on now's monotonic clock: now's wall
// reading minus the stamp is the packet's age, and now less that age keeps now's monotonic
// reading. Zero when the age is negative or above maxStampAge (a wall-clock step).
func receivedAt(stamp, now time.Time) time.Time {
	age := now.Sub(stamp) // stamp has no monotonic reading: wall clock against wall clock
	if age < 0 || age > maxStampAge {
		return time.Time{}
	}
	return now.Add(-age)
}

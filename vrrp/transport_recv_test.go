package vrrp

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// cmsg encodes one control message as the kernel lays it out (header, data, padding).
func cmsg(level, typ int32, data []byte) []byte {
	b := make([]byte, unix.CmsgSpace(len(data)))
	binary.NativeEndian.PutUint64(b, uint64(unix.CmsgLen(len(data)))) // cmsg_len is a size_t
	binary.NativeEndian.PutUint32(b[8:], uint32(level))
	binary.NativeEndian.PutUint32(b[12:], uint32(typ))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func le32(v int32) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(v)) }

func stampData(t time.Time) []byte {
	b := binary.NativeEndian.AppendUint64(nil, uint64(t.Unix()))
	return binary.NativeEndian.AppendUint64(b, uint64(t.Nanosecond()))
}

// TestTransportPacketParse decodes recvmsg results as the kernel returns them: an IPv4
// datagram with its header (options included), and control messages in any order.
func TestTransportPacketParse(t *testing.T) {
	if unix.SizeofPtr != 8 {
		t.Skip("the encoded control messages assume a 64-bit size_t")
	}
	now := time.Now()
	stamp := now.Add(-250 * time.Microsecond).Round(0) // the kernel's stamp: wall clock only
	ts := cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, stampData(stamp))
	pktinfo4 := append(le32(7), 10, 0, 0, 1, 224, 0, 0, 18) // ifindex, spec_dst, addr
	pktinfo6 := append(netip.MustParseAddr("ff02::12").AsSlice(), le32(7)...)
	hdr := func(ihl byte) []byte { // an IPv4 header of ihl 32-bit words
		h := make([]byte, int(ihl)*4)
		h[0] = 0x40 | ihl
		return h
	}
	payload := []byte{0x31, 0x01, 0x64, 0x01}
	cat := func(bs ...[]byte) (out []byte) {
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	tests := []struct {
		name   string
		family AddrFamily
		b, oob []byte
		from   unix.Sockaddr
		want   Packet
		ok     bool
	}{{
		name: "IPv4 with every control message", family: FamilyIPv4,
		b:    cat(hdr(5), payload),
		oob:  cat(ts, cmsg(unix.IPPROTO_IP, unix.IP_PKTINFO, pktinfo4), cmsg(unix.IPPROTO_IP, unix.IP_TTL, le32(255))),
		from: &unix.SockaddrInet4{Addr: [4]byte{10, 0, 0, 2}},
		want: Packet{Src: netip.MustParseAddr("10.0.0.2"), Dst: MulticastIPv4, HopLimit: 255, IfIndex: 7,
			Payload: payload, ReceivedAt: now.Add(-250 * time.Microsecond)},
		ok: true,
	}, {
		name: "IPv4 header with options, no control messages", family: FamilyIPv4,
		b:    cat(hdr(6), payload),
		from: &unix.SockaddrInet4{Addr: [4]byte{10, 0, 0, 2}},
		want: Packet{Src: netip.MustParseAddr("10.0.0.2"), HopLimit: -1, Payload: payload},
		ok:   true,
	}, {
		name: "IPv4 header length beyond the datagram", family: FamilyIPv4,
		b: func() []byte { b := cat(hdr(5), payload); b[0] = 0x4f; return b }(),
	}, {
		name: "IPv4 runt", family: FamilyIPv4, b: []byte{0x45, 0},
	}, {
		name: "IPv6 (no header from the kernel)", family: FamilyIPv6,
		b:    payload,
		oob:  cat(cmsg(unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT, le32(254)), cmsg(unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, pktinfo6), ts),
		from: &unix.SockaddrInet6{Addr: [16]byte(netip.MustParseAddr("fe80::2").AsSlice())},
		want: Packet{Src: netip.MustParseAddr("fe80::2"), Dst: MulticastIPv6, HopLimit: 254, IfIndex: 7,
			Payload: payload, ReceivedAt: now.Add(-250 * time.Microsecond)},
		ok: true,
	}, {
		name: "stamp from the future (wall clock stepped back)", family: FamilyIPv6,
		b:    payload,
		oob:  cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, stampData(now.Add(time.Millisecond).Round(0))),
		want: Packet{HopLimit: -1, Payload: payload},
		ok:   true,
	}, {
		name: "stamp too old (wall clock stepped forward)", family: FamilyIPv6,
		b:    payload,
		oob:  cmsg(unix.SOL_SOCKET, unix.SCM_TIMESTAMPNS, stampData(now.Add(-2*time.Second).Round(0))),
		want: Packet{HopLimit: -1, Payload: payload},
		ok:   true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &RawTransport{family: tc.family}
			got, ok := tr.packet(tc.b, tc.oob, tc.from, now)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmpAddr); diff != "" {
				t.Errorf("packet (-want +got):\n%s", diff)
			}
			if !got.ReceivedAt.IsZero() && got.ReceivedAt == got.ReceivedAt.Round(0) {
				t.Errorf("ReceivedAt %v has no monotonic reading", got.ReceivedAt)
			}
		})
	}
}

// TestReceivedAt: a kernel stamp becomes the packet's receive time on the monotonic clock,
// unless a wall-clock step shows (a stamp after the read, or older than maxStampAge).
func TestReceivedAt(t *testing.T) {
	now := time.Now()
	wall := now.Round(0) // the kernel's stamp has no monotonic reading
	tests := []struct {
		name  string
		stamp time.Time
		want  time.Time // zero: no ReceivedAt
	}{
		{"kernel time", wall.Add(-60 * time.Microsecond), now.Add(-60 * time.Microsecond)},
		{"at the read", wall, now},
		{"after the read", wall.Add(time.Microsecond), time.Time{}},
		{"older than maxStampAge", wall.Add(-maxStampAge - 1), time.Time{}},
		{"exactly maxStampAge old", wall.Add(-maxStampAge), now.Add(-maxStampAge)},
	}
	for _, tc := range tests {
		got := receivedAt(tc.stamp, now)
		if !got.Equal(tc.want) {
			t.Errorf("%s: receivedAt = %v, want %v", tc.name, got, tc.want)
		}
		if !got.IsZero() && got == got.Round(0) {
			t.Errorf("%s: %v has no monotonic reading", tc.name, got)
		}
	}
}

// TestTransportReceivedAtIsTheKernels checks that ReceivedAt is when the kernel received the
// packet, not when Receive read it: the packet is read only after a capture on the same
// interface has seen it, and its ReceivedAt must lie before that moment.
func TestTransportReceivedAtIsTheKernels(t *testing.T) {
	_, _, h := newSegment(t, "10.77.0.1/24", "10.77.0.2/24")
	ta := dialIn(t, h[0].ns, "hk0", FamilyIPv4, TransportOptions{})
	tb := dialIn(t, h[1].ns, "hk0", FamilyIPv4, TransportOptions{})
	// The kernel turns receive stamping on for the whole stack through deferred work after
	// the first socket asks; until it runs, recvmsg stamps with the time of the read. A
	// daemon's long-lived socket meets that once; a fresh test waits for it with one packet.
	if err := ta.Send(MulticastIPv4, []byte("warm up")); err != nil {
		t.Fatal(err)
	}
	receiveWithinRaw(t, tb)
	time.Sleep(20 * time.Millisecond)
	capture := captureOn(t, h[1].ns, "hk0")
	if err := ta.Send(MulticastIPv4, []byte("stamp me")); err != nil {
		t.Fatal(err)
	}
	capture.next(t, "advert frame", func(f []byte) bool {
		return len(f) >= 34 && f[12] == 0x08 && f[13] == 0x00 && f[23] == Protocol
	})
	// The capture and the VRRP socket get the frame at about the same moment, in either order
	// on a busy machine; the read comes 50 ms later. A stamp taken at the read would be at
	// least 50 ms after the capture's; the kernel's is within a few of it.
	seen := time.Now()
	time.Sleep(50 * time.Millisecond)
	p := receiveWithinRaw(t, tb)
	if p.ReceivedAt.IsZero() || !p.ReceivedAt.Before(seen.Add(25*time.Millisecond)) {
		t.Errorf("ReceivedAt = %v, want the kernel's receive time, near when the capture saw the frame (%v), not the read 50 ms later", p.ReceivedAt, seen)
	}
}
